from django.urls import path

app_name = "funding_staff"
urlpatterns: list = []
