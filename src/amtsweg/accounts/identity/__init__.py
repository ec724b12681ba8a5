"""Identity providers that confirm who a person is, at a trust level (eID, BundID, …)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from amtsweg.core.registry import Registry


@dataclass(frozen=True)
class Assertion:
    """What a provider confirmed: a stable pseudonym, the level, and attributes."""

    provider: str
    subject: str
    level: str
    attributes: dict[str, str] = field(default_factory=dict)


class IdentityError(Exception):
    """The provider did not confirm an identity: cancelled, forged, expired or too weak."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IdentityProvider:
    key: str = ""
    label: str = ""
    levels: tuple[str, ...] = ()

    def is_enabled(self) -> bool:
        raise NotImplementedError

    def start(self, request: HttpRequest, level: str) -> HttpResponse:
        """Send the person to the provider, asking for at least `level`."""
        raise NotImplementedError


class ConfiguredProvider(IdentityProvider):
    """A provider configured by an entry in a settings list (``SETTING``), found by its key."""

    SETTING = ""

    def __init__(self, key: str, label: str, levels: tuple[str, ...]) -> None:
        self.key, self.label, self.levels = key, label, levels

    @property
    def config(self) -> dict:
        return next(c for c in getattr(settings, self.SETTING) if c["key"] == self.key)

    def is_enabled(self) -> bool:
        return any(c.get("key") == self.key for c in getattr(settings, self.SETTING, []))

    @classmethod
    def register_configured(cls) -> None:
        """Register one provider per settings entry (at start-up)."""
        for c in getattr(settings, cls.SETTING, []):
            providers.register(cls(c["key"], c.get("label", c["key"]),
                                   tuple(c.get("levels", ["substanziell", "hoch"]))))


providers: Registry[IdentityProvider] = Registry("identity providers")

# Profile attributes a provider may confirm, in display order.
ATTRIBUTES = ("given_name", "family_name", "birth_date", "street", "house_number",
              "postal_code", "city")
