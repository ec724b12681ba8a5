from django.urls import path

app_name = "ikz_staff"
urlpatterns: list = []
