from django.urls import path

app_name = "ikz_library"
urlpatterns: list = []
