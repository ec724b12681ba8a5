from django.urls import path

from . import library_views

app_name = "ikz_library"
urlpatterns = [
    path("", library_views.service_list, name="list"),
    path("<slug:slug>/", library_views.service_detail, name="detail"),
]
