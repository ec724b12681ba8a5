from django.urls import path

from . import views

app_name = "funding_staff"
urlpatterns = [
    path("", views.index, name="index"),
    path("antrag/<int:application_id>/", views.application, name="application"),
    path("bewilligung/<int:grant_id>/", views.grant, name="grant"),
    path("bewilligung/<int:grant_id>/auszahlung/", views.payout, name="payout"),
    path("bewilligung/<int:grant_id>/verwendungsnachweis/", views.proof, name="proof"),
]
