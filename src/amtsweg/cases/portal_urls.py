from django.urls import path

from . import portal

app_name = "case_portal"
urlpatterns = [
    path("<str:receipt>/", portal.applicant_case, name="detail"),
]
