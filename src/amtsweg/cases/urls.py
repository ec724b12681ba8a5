from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/schritt/", views.take_transition, name="transition"),
    path("<int:case_id>/zuweisen/", views.assign, name="assign"),
    path("<int:case_id>/notiz/", views.add_note, name="note"),
    path("<int:case_id>/zahlung/<uuid:payment_id>/bezahlt/", views.invoice_paid,
         name="invoice_paid"),
    path("<int:case_id>/anlage/<uuid:upload_id>/", views.attachment, name="attachment"),
    path("<int:case_id>/bescheid-vorschau/", views.notice_preview, name="notice_preview"),
    path("<int:case_id>/bescheid/<int:notice_id>/", views.notice_file, name="notice"),
]
