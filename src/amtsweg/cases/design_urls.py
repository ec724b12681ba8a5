"""The designer's Bescheid pages, beside the form editor under /verwaltung/dienste/ (the
views live in `cases`, which owns the notice text; `services` knows nothing of it)."""

from django.urls import path

from . import design

app_name = "notice_text"
urlpatterns = [
    path("<slug:slug>/v<int:number>/bescheid/", design.edit, name="edit"),
    path("<slug:slug>/v<int:number>/bescheid/vorschau/", design.preview, name="preview"),
]
