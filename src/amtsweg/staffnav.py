"""What a staff member may open, for the staff navigation and the 403 page.

Each entry asks the same predicate as the decorator of the section's views
(`cases.views.case_view`, `services.views.common.designer_view` and `admin_view`,
`funding.views.funding_view`, `ikz.staff_views.ikz_view`, `audit.views.audit_view`, the
staff pages, the jobs page), so the navigation offers only what opens: a clerk no longer sees
Onlinedienste, Nachnutzung, IKZ-Verbünde and Protokoll that answered 403 (issue 12, item 9).
It sits at the project level, above every app, because it asks all of them.
"""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def sections(user) -> dict[str, bool]:
    """Section name → whether `user` may open it."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        return {}
    from amtsweg.accounts import staff
    from amtsweg.audit.views import visible_tenants
    from amtsweg.cases.actions import case_authorities
    from amtsweg.funding.actions import funding_authorities
    from amtsweg.ikz import access as ikz_access
    from amtsweg.services import actions as services

    cases = case_authorities(user)
    funding = funding_authorities(user)
    return {
        "cases": cases is None or bool(cases),
        "design": services.designable_authorities(user).exists(),
        "adoption": services.adopting_authorities(user).exists(),
        "funding": funding is None or bool(funding),
        "ikz": user.is_superuser or bool(ikz_access.admin_area_ids(user)),
        "staff": staff.may_manage_staff(user),
        "audit": visible_tenants(user) != [],
        "jobs": user.is_superuser,
    }


def staff_nav(request: HttpRequest) -> dict:
    """Context processor: `staff_sections`, computed only when a template asks."""
    return {"staff_sections": SimpleLazyObject(lambda: sections(request.user))}
