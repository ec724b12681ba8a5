from django.http import HttpRequest


def postfach(request: HttpRequest) -> dict:
    """The unread counter in the header, for logged-in accounts only."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from .actions import unread_count

    return {"postfach_unread": unread_count(user)}
