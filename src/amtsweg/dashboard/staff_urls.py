from django.urls import path

app_name = "dashboard_staff"
urlpatterns: list = []
