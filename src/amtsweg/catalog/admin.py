from django.contrib import admin

from amtsweg.core.admin_mixins import ReadOnlyAdmin

from .models import Lebenslage, Leistung, OzgLeistung, Themenfeld


@admin.register(Leistung)
class LeistungAdmin(ReadOnlyAdmin):
    list_display = ["leika_key", "name", "leika_typ", "ozg"]
    list_filter = ["leika_typ"]
    search_fields = ["leika_key", "name"]
    list_select_related = ["ozg"]


@admin.register(OzgLeistung)
class OzgLeistungAdmin(ReadOnlyAdmin):
    list_display = ["ozg_id", "name", "lebenslage", "themenfeld"]
    list_filter = ["themenfeld"]
    search_fields = ["ozg_id", "name"]


admin.site.register(Themenfeld, ReadOnlyAdmin)
admin.site.register(Lebenslage, ReadOnlyAdmin)
