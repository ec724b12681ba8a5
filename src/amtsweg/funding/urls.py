from django.urls import path

from . import public_views, stats_views

app_name = "funding"
urlpatterns: list = [
    path("", public_views.programmes, name="programmes"),
    path("statistik/", stats_views.statistics_page, name="statistics"),
    path("statistik/daten.json", stats_views.statistics_json, name="statistics_json"),
    path("statistik/<slug:table>.csv", stats_views.statistics_csv, name="statistics_csv"),
]
