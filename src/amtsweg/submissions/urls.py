from django.urls import path

from . import views

app_name = "submissions"
urlpatterns = [
    path("beantragen/<slug:slug>/<str:ags>/", views.start, name="start"),
    path("antrag/<uuid:pk>/schritt/<str:step_key>/", views.step, name="step"),
    path("antrag/<uuid:pk>/gespeichert/", views.saved, name="saved"),
    path("antrag/<uuid:pk>/zusammenfassung/", views.summary, name="summary"),
    path("antrag/eingang/<str:receipt>/", views.done, name="done"),
    path("antrag/eingang/<str:receipt>/eingangsbestaetigung.pdf", views.receipt_pdf,
         name="receipt_pdf"),
    path("antrag/fortsetzen/<str:token>/", views.resume, name="resume"),
    path("konto/antraege/", views.account_list, name="account_list"),
    path("konto/antraege/<uuid:pk>/loeschen/", views.discard, name="discard"),
]
