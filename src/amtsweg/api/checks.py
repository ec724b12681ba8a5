"""System checks of the webhook settings (finding 7 of issue 11): plain http is for demos and
tests only, and a mistyped network must stop the start rather than be ignored. Tagged
"amtsweg" like the deploy checks in core/checks.py, so a production start refuses them."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from amtsweg.core import outbound

TAG = "amtsweg"


@register(TAG, Tags.security, deploy=True)
def webhooks_over_https(app_configs, **kwargs) -> list[Error]:
    if not getattr(settings, "WEBHOOK_ALLOW_HTTP", False):
        return []
    return [Error("WEBHOOK_ALLOW_HTTP is on: webhooks (with submission ids) may be sent "
                  "unencrypted.", hint="Unset WEBHOOK_ALLOW_HTTP in production.",
                  id="amtsweg.E701")]


@register(TAG)
def webhook_networks(app_configs, **kwargs) -> list[Error]:
    try:
        outbound.allowed_networks()
    except ValueError as exc:
        return [Error(f"WEBHOOK_ALLOWED_NETWORKS is not a comma-separated list of networks: "
                      f"{exc}", id="amtsweg.E702")]
    return []
