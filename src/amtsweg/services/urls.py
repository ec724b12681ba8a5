from django.urls import path

from .views import adoption, designer, editor, home

app_name = "services"
urlpatterns = [
    path("", home.home, name="home"),
    path("dienste/", designer.service_list, name="list"),
    path("dienste/neu/", designer.create, name="create"),
    path("leistungen/", designer.leistung_search, name="leistung_search"),
    path("dienste/<slug:slug>/", designer.detail, name="detail"),
    path("dienste/<slug:slug>/neuer-entwurf/", designer.new_draft, name="new_draft"),
    path("dienste/<slug:slug>/vergleich/", designer.compare, name="compare"),
    path("dienste/<slug:slug>/v<int:number>/", editor.editor, name="editor"),
    path("dienste/<slug:slug>/v<int:number>/vorschau/", editor.preview, name="preview"),
    path("dienste/<slug:slug>/v<int:number>/veroeffentlichen/", designer.publish,
         name="publish"),
    path("dienste/<slug:slug>/v<int:number>/zurueckziehen/", designer.retire, name="retire"),
    path("dienste/<slug:slug>/v<int:number>/export.json", designer.export, name="export"),
    path("nachnutzung/", adoption.catalogue, name="adoption_list"),
    path("nachnutzung/dienst/<slug:slug>/", adoption.adopt, name="adopt"),
    path("nachnutzung/<int:pk>/", adoption.adoption_edit, name="adoption_edit"),
    path("nachnutzung/<int:pk>/beenden/", adoption.adoption_end, name="adoption_end"),
]
