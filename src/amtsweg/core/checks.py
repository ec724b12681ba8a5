"""Deploy checks: what must hold before the platform serves real people.

Production is the code's default; these checks make an unsafe production start fail loudly
instead of serving. They run with `amtsweg check --deploy`, at every start of `amtsweg run`
without demo mode, and when a WSGI server loads ``amtsweg.wsgi`` without demo mode (so a
granian or gunicorn started by hand is refused too). An operator who has reviewed a finding
and accepts it lists its id in ``SILENCED_SYSTEM_CHECKS``; docs/security.md has the
production checklist these ids belong to.

The core app sits at the bottom of the layers, so the checks look at settings, the file
system, registries and models generically (any model with an ``is_demo`` field) instead of
importing the apps above.
"""

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

from .registry import Registry

TAG = "amtsweg"
DATA_TAG = "amtsweg_data"  # checks that read the database (run after migrate)
PUBLIC_VAR_ENTRIES = {"static"}  # collected static files are public anyway


def _demo_mode() -> bool:
    return bool(getattr(settings, "DEMO_DATA", False))


@register(TAG, Tags.security, deploy=True)
def check_demo_switches(app_configs=None, **kwargs) -> list[CheckMessage]:
    errors = []
    if _demo_mode():
        errors.append(Error(
            "DEMO_DATA is on: demo Behörden with invented addresses and logins with a "
            "published password.",
            hint="Production runs with DEMO_DATA unset (or false); only `make run` turns it on.",
            id="amtsweg.E001"))
    _load_plugins()
    for registry in Registry.all():
        for plugin in registry.enabled():
            if switch := getattr(plugin, "test_only", ""):
                errors.append(Error(
                    f"The test plugin '{plugin.key}' ({registry.name}) is on: it fakes what "
                    "a real provider confirms (an identity, a payment).",
                    hint=f"Unset {switch} (and DEMO_DATA) and configure a real provider.",
                    id="amtsweg.E002"))
    if settings.DEBUG:
        errors.append(Error("DEBUG is on: error pages show settings and personal data.",
                            hint="Unset DEBUG.", id="amtsweg.E003"))
    return errors


def _load_plugins() -> None:
    """Plugins register when their module is imported; the URL configuration imports them
    all (views use every registry)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module


@register(TAG, Tags.security, deploy=True)
def check_https(app_configs=None, **kwargs) -> list[CheckMessage]:
    errors = []
    if not getattr(settings, "HTTPS", False):
        errors.append(Error(
            "HTTPS is not set: cookies travel without the Secure flag and there is no HSTS.",
            hint="Serve through TLS (a reverse proxy that sets X-Forwarded-Proto) and set "
                 "HTTPS=true.",
            id="amtsweg.E004"))
    if not settings.SITE_URL.startswith("https://"):
        errors.append(Error(
            f"SITE_URL is {settings.SITE_URL}: links in mails and the OpenID configuration "
            "would point to an address without TLS.",
            hint="Set SITE_URL to the public https:// address of the platform.",
            id="amtsweg.E005"))
    return errors


def _exposed(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & 0o077)
    except FileNotFoundError:
        return False


def private_paths() -> list[Path]:
    """The folder that holds keys, sessions, mails and uploads, what it holds directly, and
    key or database files configured to live elsewhere."""
    var = Path(settings.VAR_DIR)
    paths = [var]
    if var.is_dir():
        paths += sorted(p for p in var.iterdir() if p.name not in PUBLIC_VAR_ENTRIES)
    paths.append(Path(settings.SIGNING_KEY_FILE))
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = Path(str(database["NAME"]))
        paths += [name, name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm")]
    seen: set[Path] = set()
    return [p for p in paths if not (p in seen or seen.add(p))]


@register(TAG, Tags.security, deploy=True)
def check_private_files(app_configs=None, **kwargs) -> list[CheckMessage]:
    exposed = [p for p in private_paths() if _exposed(p)]
    if not exposed:
        return []
    names = ", ".join(str(p) for p in exposed[:10]) + (" …" if len(exposed) > 10 else "")
    return [Error(
        f"Other users of this machine can read {names}: keys, sessions, reset links in mails "
        "and uploaded files live there.",
        hint=f"chmod -R go-rwx {settings.VAR_DIR} (and the files named); the platform "
             "creates them private (0700 folders, 0600 files).",
        id="amtsweg.E006")]


@register(TAG, Tags.security, deploy=True)
def check_trusted_proxies(app_configs=None, **kwargs) -> list[CheckMessage]:
    if getattr(settings, "TRUSTED_PROXIES_CONFIGURED", False):
        return []
    return [Error(
        "TRUSTED_PROXIES is not set: behind a reverse proxy every person would share the "
        "proxy's address, so one attacker's failed logins would lock everybody out.",
        hint="Set TRUSTED_PROXIES to the addresses or networks of the reverse proxies "
             "(comma-separated), or to 'none' if clients connect directly.",
        id="amtsweg.E007")]


@register(DATA_TAG, Tags.security, deploy=True)
def check_demo_rows(app_configs=None, **kwargs) -> list[CheckMessage]:
    """Demo rows in a production database (a first start that forgot the switch)."""
    if _demo_mode():
        return []  # E001 already says it
    errors = []
    try:
        domain = "@" + settings.DEMO_EMAIL_DOMAIN
        logins = apps.get_model(settings.AUTH_USER_MODEL)._default_manager.filter(
            email__iendswith=domain, is_active=True).count()
        counts = {model._meta.verbose_name_plural: n for model in apps.get_models()
                  if any(f.name == "is_demo" for f in model._meta.concrete_fields)
                  and (n := model._default_manager.filter(is_demo=True).count())}
    except DatabaseError:  # not migrated yet: nothing in it
        return []
    if logins:
        errors.append(Error(
            f"{logins} demo login(s) ({domain}) are active; their password is published.",
            hint="`amtsweg retire_demo` disables them (`amtsweg run` does it at start).",
            id="amtsweg.E008"))
    if counts:
        listed = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
        errors.append(Error(
            f"The database holds demo data with invented names and addresses: {listed}.",
            hint="Production starts from a database without demo data (a first start with "
                 "DEMO_DATA unset imports only the territory and the catalogue). If people "
                 "already use this database, review the demo rows and list amtsweg.E009 in "
                 "SILENCED_SYSTEM_CHECKS.",
            id="amtsweg.E009"))
    return errors


@register(TAG, Tags.security)
def check_master_keys(app_configs=None, **kwargs) -> list[CheckMessage]:
    """A malformed key would start a server whose every encrypting action fails."""
    import binascii

    from . import crypto

    try:
        crypto._key()
        crypto.master_keys()
    except (ValueError, binascii.Error, OSError) as exc:
        return [Error(
            f"The master key cannot be used: {exc}",
            hint="FIELD_ENCRYPTION_KEY and every entry of FIELD_ENCRYPTION_OLD_KEYS must be "
                 "32 random bytes in URL-safe base64 (docs/security.md, 'Master key "
                 "rotation', step 1, shows how to make one).",
            id="amtsweg.E010")]
    return []


@register(TAG, deploy=True)
def check_mail(app_configs=None, **kwargs) -> list[CheckMessage]:
    if not settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        return []
    return [Warning(
        f"EMAIL_HOST is not set: mails (confirmations, reset links, receipts) are written to "
        f"files in {settings.VAR_DIR / 'mail'} instead of being sent.",
        hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD).",
        id="amtsweg.W001")]


def unsafe_start_errors(*, data: bool = True, deploy: bool = True) -> list[CheckMessage]:
    """The checks' errors that are not silenced (what refuses a start); without ``data`` only
    settings and files (before the database is migrated), without ``deploy`` only what breaks
    any installation, demo or not (malformed keys and settings)."""
    from django.core.checks import run_checks
    from django.core.checks.messages import ERROR

    tags = [TAG, DATA_TAG] if data else [TAG]
    return [m for m in run_checks(tags=tags, include_deployment_checks=deploy)
            if m.level >= ERROR and not m.is_silenced()]


def refusal_text(errors: list[CheckMessage], *, production: bool = True) -> str:
    mode = "in production mode " if production else ""
    lines = [f"Amtsweg does not start {mode}with these problems:", ""]
    for message in errors:
        lines.append(f"- {message.msg} ({message.id})")
        if message.hint:
            lines.append(f"  {message.hint}")
    if production:
        lines += ["", "For a local demo with demo data run `make run`. The production checklist "
                  "is in docs/security.md; `amtsweg check --deploy` repeats these checks."]
    else:
        lines += ["", "`amtsweg check` repeats these checks; docs/operations.md lists the "
                  "settings."]
    return "\n".join(lines)
