from django.urls import path

from . import staff_views

app_name = "dashboard_staff"
urlpatterns = [
    path("", staff_views.index, name="index"),
    path("<int:authority_id>/", staff_views.authority, name="authority"),
    path("<int:authority_id>/daten.<str:fmt>", staff_views.export, name="export"),
]
