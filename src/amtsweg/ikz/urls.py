from django.urls import path

app_name = "ikz"
urlpatterns: list = []
