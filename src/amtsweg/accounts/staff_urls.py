from django.urls import path

from . import views_staff

app_name = "staff"
urlpatterns = [
    path("", views_staff.staff_list, name="list"),
    path("rolle/<int:role_id>/entziehen/", views_staff.revoke, name="revoke"),
    path("person/<int:user_id>/", views_staff.person, name="person"),
    path("person/<int:user_id>/einladung/", views_staff.resend_invitation, name="invite_again"),
]
