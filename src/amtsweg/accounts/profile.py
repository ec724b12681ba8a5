"""Profile and trust levels: typed-in data, eID-confirmed data, and stepping up."""

from collections.abc import Callable
from functools import wraps

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from amtsweg.core import crypto

from .identity import ATTRIBUTES
from .models import ProfileAttribute, TrustLevel, User


def session_level(request: HttpRequest) -> str:
    return request.session.get("trust_level", TrustLevel.BASIS)


def has_level(request: HttpRequest, level: str) -> bool:
    return TrustLevel.rank(session_level(request)) >= TrustLevel.rank(level)


def require_level(level: str) -> Callable:
    """View decorator: a person below `level` is asked to step up, not refused."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect(f"{reverse('accounts:login')}?"
                                f"{urlencode({'next': request.get_full_path()})}")
            if not has_level(request, level):
                return redirect(f"{reverse('accounts:step_up')}?"
                                f"{urlencode({'level': level, 'next': request.get_full_path()})}")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def attributes(user: User) -> dict[str, ProfileAttribute]:
    return {a.name: a for a in ProfileAttribute.objects.filter(user=user)}


def store(user: User, name: str, value: str, **fields) -> None:
    """Write one attribute encrypted; eID-confirmed ones only through actions.identify."""
    ProfileAttribute.objects.update_or_create(user=user, name=name, defaults={
        "value_encrypted": crypto.encrypt(value, ProfileAttribute(user=user, name=name).context()),
        **fields})


@transaction.atomic
def set_typed(user: User, values: dict[str, str]) -> list[str]:
    """Save what the person typed; attributes confirmed by an eID are kept. Returns the names
    that were refused for that reason."""
    current = attributes(user)
    refused = []
    for name, value in values.items():
        if name not in ATTRIBUTES:
            continue
        existing = current.get(name)
        if existing is not None and existing.source == ProfileAttribute.Source.EID:
            if existing.value != value:
                refused.append(name)
            continue
        if value:
            store(user, name, value, source=ProfileAttribute.Source.TYPED, provider="",
                  level=TrustLevel.BASIS)
        elif existing is not None:
            existing.delete()
    return refused
