from django import template

from .. import staff

register = template.Library()


@register.filter
def manages_staff(user) -> bool:
    """`{% if user|manages_staff %}`: administrator of some Behörde, or the Landesadmin (one
    query per request, kept on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not hasattr(user, "_manages_staff"):
        user._manages_staff = staff.may_manage_staff(user)
    return user._manages_staff
