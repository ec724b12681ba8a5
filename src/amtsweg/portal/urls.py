from django.urls import path, re_path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("suche/", views.search, name="search"),
    path("suche/vorschlaege/", views.suggest, name="suggest"),
    re_path(r"^leistungen/(?P<leika_key>99[0-9]{12})/$", views.leistung_detail, name="leistung"),
    path("themen/", views.themen, name="themen"),
    path("themen/<slug:slug>/", views.themenfeld, name="themenfeld"),
    path("lebenslagen/", views.lebenslagen, name="lebenslagen"),
    path("lebenslagen/<slug:slug>/", views.lebenslage, name="lebenslage"),
    path("zustaendigkeit/", views.finder, name="finder"),
    path("impressum/", views.legal, {"page": "impressum"}, name="impressum"),
    path("datenschutz/", views.legal, {"page": "datenschutz"}, name="datenschutz"),
    path("barrierefreiheit/", views.legal, {"page": "barrierefreiheit"}, name="barrierefreiheit"),
]
