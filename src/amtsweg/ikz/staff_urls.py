from django.urls import path

from . import staff_views as views

app_name = "ikz_staff"
urlpatterns = [
    path("", views.cooperation_list, name="list"),
    path("neu/", views.cooperation_create, name="create"),
    path("<int:pk>/", views.cooperation_detail, name="detail"),
    path("<int:pk>/bearbeiten/", views.cooperation_edit, name="edit"),
    path("<int:pk>/mitglieder/", views.member_add, name="member_add"),
    path("<int:pk>/mitglieder/<int:member>/austritt/", views.member_remove,
         name="member_remove"),
    path("<int:pk>/personal/", views.staff_add, name="staff_add"),
    path("<int:pk>/personal/<int:staff>/entfernen/", views.staff_remove, name="staff_remove"),
    path("<int:pk>/uebernehmen/", views.adopt, name="adopt"),
]
