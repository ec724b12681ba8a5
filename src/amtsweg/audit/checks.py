"""A malformed audit key would start a server whose every audited action fails."""

from django.core.checks import CheckMessage, Error, Tags, register

from . import keys

TAG = "amtsweg"  # the tag of the checks that refuse a start (core/checks.py)


@register(TAG, Tags.security)
def check_audit_keys(app_configs=None, **kwargs) -> list[CheckMessage]:
    try:
        keys.keys()
    except (ValueError, OSError) as exc:
        return [Error(
            f"The audit key cannot be used: {exc}",
            hint="AUDIT_KEY and every entry of AUDIT_OLD_KEYS must be 32 random bytes in "
                 "URL-safe base64 (docs/audit.md).",
            id="amtsweg.E011")]
    return []
