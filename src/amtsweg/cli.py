"""The ``amtsweg`` command: run the platform, build front-end assets, or any manage command.

    amtsweg run            migrate, import data on first start, serve with granian + task worker
    amtsweg build-assets   copy npm packages into static/vendor and compile translations
    amtsweg <command>      any Django management command (import_data, createsuperuser, …)
"""

import argparse
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

# What the pages load from npm packages: (package path in node_modules, target in static/vendor)
VENDOR_FILES = [
    ("@kern-ux/native/dist/kern.min.css", "kern/kern.min.css"),
    ("@kern-ux/native/dist/fonts/fira-sans.css", "kern/fonts/fira-sans.css"),
    ("@kern-ux/native/dist/fonts/fira-sans", "kern/fonts/fira-sans"),
    ("@kern-ux/native/LICENSE.md", "kern/LICENSE.md"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org/LICENSE", "htmx/LICENSE"),
]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
    import django

    django.setup()


def manage(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["amtsweg", *argv])


def build_assets(node_modules: Path) -> None:
    """Copy the front-end packages into the (git-ignored) static/vendor folder and compile the
    translation catalogues, so that a fresh checkout serves everything itself."""
    vendor = PACKAGE_DIR / "static" / "vendor"
    for source, target in VENDOR_FILES:
        src, dst = node_modules / source, vendor / target
        if not src.exists():
            sys.exit(f"{src} is missing: run `npm ci` first.")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copyfile(src, dst)
    compile_messages()
    print(f"Front-end assets in {vendor}")


def compile_messages() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (PACKAGE_DIR / "locale").glob("*/LC_MESSAGES/*.po"):
        with open(po, "rb") as fh:
            catalog = read_po(fh)
        with open(po.with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog)


def _die_with_parent() -> None:
    """In a child: get SIGTERM when `amtsweg run` itself dies, even by SIGKILL (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


REAP_EVERY = 60  # seconds between two runs of the job reaper while `amtsweg run` serves


def reap_jobs() -> None:
    """Re-queue tasks stuck with a dead worker (see amtsweg.jobs); never stops the platform."""
    from django.db import connections

    from amtsweg.jobs.engine import reap

    try:
        report = reap()
        if report.requeued or report.dead or report.rescheduled:
            print(f"Job reaper: {report}")
    except Exception as exc:
        print(f"Job reaper failed: {exc!r}", file=sys.stderr)
    finally:
        connections.close_all()  # the supervisor holds no idle connection between runs


def refuse_unsafe_start(*, data: bool = True) -> None:
    """Production mode (DEMO_DATA off) starts only when the deploy checks pass; demo mode
    only when nothing is misconfigured that would break it (a malformed key, say)."""
    from django.conf import settings

    from amtsweg.core.checks import refusal_text, unsafe_start_errors

    production = not settings.DEMO_DATA
    if errors := unsafe_start_errors(data=data and production, deploy=production):
        print(refusal_text(errors, production=production), file=sys.stderr)
        sys.exit(2)


def audit_checkpoint() -> None:
    """Verify the audit chains against the heads exported last time and export them anew
    (audit/heads.py); a broken chain is reported loudly but does not stop the platform."""
    from django.conf import settings
    from django.core.management import CommandError, call_command
    from django.db import connections

    try:
        call_command("audit_verify", "--checkpoint", verbosity=0, stdout=io.StringIO())
    except CommandError as exc:
        print(f"AUDIT LOG CHECK FAILED: {exc}. `amtsweg audit_verify --heads "
              f"{settings.AUDIT_HEADS_FILE}` lists the problems (docs/audit.md). After "
              "restoring a backup on purpose, move that file aside and run "
              "`amtsweg audit_verify --checkpoint --new-reference`.",
              file=sys.stderr)
    except Exception as exc:
        print(f"Audit log check could not run: {exc!r}", file=sys.stderr)
    finally:
        connections.close_all()


def run(args: argparse.Namespace) -> None:
    """Prepare the database and serve the platform with granian and the task worker."""
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from amtsweg.territory.models import Area, Authority, GermanPostalCode

    refuse_unsafe_start(data=False)  # settings and files first: learnt at once, not after import
    call_command("migrate", interactive=False, verbosity=0)
    if not Area.objects.exists():
        what = "the demo data" if settings.DEMO_DATA else "no demo data"
        print(f"First start: importing Hessen's areas, the catalogue and {what} …")
        call_command("import_data")
    elif not GermanPostalCode.objects.exists():
        # an installation from before the German PLZ list: add it (seconds, once)
        from amtsweg.territory.actions import import_german_postal_codes

        print(f"Imported {import_german_postal_codes()} German PLZ rows for the address check.")
    if settings.DEMO_DATA and Authority.objects.filter(is_demo=True).exists():
        call_command("create_demo_admin")
    elif settings.DEMO_DATA:
        print("This database has no demo data: `amtsweg import_data --demo` loads it.")
    else:
        call_command("retire_demo")
        refuse_unsafe_start()  # what the database holds (demo rows, demo logins)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("ensure_signing_key")
    call_command("purge_drafts", verbosity=0)
    call_command("apply_retention", verbosity=0)
    from amtsweg.api.tasks import sign_destinations

    sign_destinations.enqueue()  # the worker signs what the key or data change made stale
    reap_jobs()  # tasks whose worker died with the last run go back to the queue
    audit_checkpoint()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "amtsweg.settings"}
    # Children get their own session, so Ctrl+C reaches only this process, which then stops
    # each child once with SIGTERM: granian drains its requests, the worker ends its task.
    children: list[subprocess.Popen] = []
    if not args.no_worker:
        children.append(subprocess.Popen(
            [sys.executable, "-m", "amtsweg.cli", "db_worker", "--queue-name", "default"],
            env=env, start_new_session=True, preexec_fn=_die_with_parent))
    children.append(subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", args.host,
         "--port", str(args.port), "--workers", str(args.workers),
         "--blocking-threads", str(args.threads), "amtsweg.wsgi:application"],
        env=env, start_new_session=True, preexec_fn=_die_with_parent))
    scheme = "https" if os.environ.get("GRANIAN_SSL_CERTIFICATE") else "http"  # TLS in granian
    print(f"Amtsweg runs at {scheme}://{args.host}:{args.port}/ (Ctrl+C stops it)")

    stopping = []

    def stop(*_: object) -> None:
        if stopping:
            return
        stopping.append(True)
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        next_reap = time.monotonic() + REAP_EVERY
        next_audit = time.monotonic() + settings.AUDIT_CHECKPOINT_EVERY
        while all(child.poll() is None for child in children):
            try:
                children[-1].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            if not args.no_worker and time.monotonic() >= next_reap:
                reap_jobs()
                next_reap = time.monotonic() + REAP_EVERY
            if not args.no_worker and time.monotonic() >= next_audit:
                audit_checkpoint()
                next_audit = time.monotonic() + settings.AUDIT_CHECKPOINT_EVERY
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [c.returncode for c in children if c.returncode and c.returncode > 0]
    sys.exit(failed[0] if failed else 0)


def main(argv: list[str] | None = None) -> None:
    from django.core.exceptions import ImproperlyConfigured

    try:
        _main(argv)
    except ImproperlyConfigured as exc:  # a setting that cannot work: a sentence, no traceback
        print(f"Amtsweg cannot start: {exc}\nSee docs/operations.md for the settings.",
              file=sys.stderr)
        sys.exit(2)


def _main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:
        parser = argparse.ArgumentParser(prog="amtsweg run")
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
        parser.add_argument("--no-worker", action="store_true",
                            help="Do not start the task worker.")
        run(parser.parse_args(argv[1:]))
    elif argv[:1] == ["build-assets"]:
        parser = argparse.ArgumentParser(prog="amtsweg build-assets")
        parser.add_argument("--node-modules", type=Path, default=Path.cwd() / "node_modules")
        build_assets(parser.parse_args(argv[1:]).node_modules)
    else:
        manage(argv)


if __name__ == "__main__":
    main()
