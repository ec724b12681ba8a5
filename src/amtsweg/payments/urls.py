from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("start/<uuid:pk>/", views.start, name="start"),
    path("test/<uuid:pk>/", views.testpay_page, name="testpay"),
    path("rueckkehr/<slug:provider>/", views.callback, name="callback"),
]
