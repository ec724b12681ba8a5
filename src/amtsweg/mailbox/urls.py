from django.urls import path

from . import views

app_name = "mailbox"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/anhang/<int:attachment_id>/", views.attachment, name="attachment"),
]
