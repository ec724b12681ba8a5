"""Who may do what with a cooperation.

A Kommunal-Admin is a person with the role "admin" at a Behörde; the Behörde's Area is the
Kommune they act for. The Landesadmin (superuser) may do everything.

- create a cooperation: any Kommunal-Admin of a Gemeinde or Kreis (it becomes the lead) and
  the Landesadmin;
- change it (data, members, shared staff): admins of the lead Kommune and the Landesadmin;
- see its staff page and adopt its services: admins of any current member Kommune.
"""

from django.db.models import Q, QuerySet

from amtsweg.accounts.models import StaffRole
from amtsweg.territory.models import Area

from .models import Cooperation, Member, current_q

KOMMUNE_KINDS = (Area.Kind.GEMEINDE, Area.Kind.KREIS)


def admin_area_ids(user) -> set[int]:
    """The Kommunen (Areas) a person administers a Behörde of (not for superusers)."""
    if not user.is_authenticated:
        return set()
    return set(StaffRole.objects.filter(user=user, role=StaffRole.Role.ADMIN)
               .values_list("authority__area_id", flat=True))


def kommunen() -> QuerySet[Area]:
    """Areas that can be members: inhabited Gemeinden and Kreise."""
    return Area.objects.filter(kind__in=KOMMUNE_KINDS, gemeindefrei=False)


def lead_choices(user) -> QuerySet[Area]:
    """The Kommunen this person may create a cooperation for (as its lead)."""
    if user.is_superuser:
        return kommunen()
    return kommunen().filter(pk__in=admin_area_ids(user))


def can_create(user) -> bool:
    return user.is_authenticated and (user.is_superuser or lead_choices(user).exists())


def can_manage(user, cooperation: Cooperation) -> bool:
    """Change data, members and shared staff: admins of the lead Kommune, Landesadmin."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or cooperation.lead_id in admin_area_ids(user)


def member_areas_of(user, cooperation: Cooperation) -> list[Area]:
    """The current member Kommunen of the cooperation this person administers (every
    current member for the Landesadmin), in name order."""
    members = (Member.objects.current().filter(cooperation=cooperation)
               .select_related("area").order_by("area__name"))
    if not user.is_superuser:
        members = members.filter(area_id__in=admin_area_ids(user))
    return [m.area for m in members] if user.is_authenticated else []


def visible_to_staff(user) -> QuerySet[Cooperation]:
    """The cooperations on a person's staff pages: those led by or with a current member
    Kommune they administer; all for the Landesadmin."""
    if user.is_superuser:
        return Cooperation.objects.all()
    areas = admin_area_ids(user)
    members = Cooperation.objects.filter(current_q("members__"), members__area__in=areas)
    return Cooperation.objects.filter(Q(pk__in=members.values("pk")) | Q(lead__in=areas))
