from django.urls import path

from . import views
from .figures import GEMEINDE, KREIS

app_name = "dashboard"
urlpatterns = [
    path("", views.land, name="land"),
    path("daten.<str:fmt>", views.export, name="land_export"),
    path("vergleich/", views.compare, name="compare"),
    path("kreis/<str:ags>/", views.kreis, name="kreis"),
    path("kreis/<str:ags>/daten.<str:fmt>", views.export, {"scope": KREIS},
         name="kreis_export"),
    path("gemeinde/<str:ags>/", views.gemeinde, name="gemeinde"),
    path("gemeinde/<str:ags>/daten.<str:fmt>", views.export, {"scope": GEMEINDE},
         name="gemeinde_export"),
]
