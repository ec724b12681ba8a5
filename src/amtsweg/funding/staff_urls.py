from django.urls import path

from . import views

app_name = "funding_staff"
urlpatterns = [
    path("", views.index, name="index"),
    path("antrag/<int:pk>/", views.application, name="application"),
    path("bewilligung/<int:pk>/", views.grant, name="grant"),
    path("bewilligung/<int:pk>/auszahlung/", views.payout, name="payout"),
    path("bewilligung/<int:pk>/verwendungsnachweis/", views.proof, name="proof"),
]
