from django.contrib import admin

from amtsweg.core.admin_mixins import ReadOnlyAdmin

from .models import Area, Authority, PostalCode, Responsibility


@admin.register(Area)
class AreaAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "ags", "ars", "population"]
    list_filter = ["kind", "kreis_type", "gemeindefrei"]
    search_fields = ["name", "ags", "ars"]


@admin.register(PostalCode)
class PostalCodeAdmin(ReadOnlyAdmin):
    list_display = ["plz", "place", "area"]
    search_fields = ["plz", "place"]
    list_select_related = ["area"]


@admin.register(Authority)
class AuthorityAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "area", "city", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name", "city"]
    list_select_related = ["area"]


@admin.register(Responsibility)
class ResponsibilityAdmin(ReadOnlyAdmin):
    list_display = ["leistung", "area", "authority"]
    search_fields = ["leistung__name", "leistung__leika_key", "area__name", "authority__name"]
    list_select_related = ["leistung", "area", "authority"]
    raw_id_fields = ["leistung", "area", "authority"]
