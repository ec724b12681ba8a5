"""Login answers as fast for an address that has an account as for an unknown one (outside
tester, N2): a wrong password, the failure that locks (for an account it also queues the
holder's lock mail), and an attempt refused while locked. Median server time of N logins
each way through the whole Django stack (test client, real settings: Argon2, SQLite or
DATABASE_URL, the database task backend). Target: medians within 10 % of each other.
Results go to bench/results/latest-login.json.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"

os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
os.environ["LOGIN_THROTTLE_PER_IP"] = "100000"
os.environ["LOGIN_THROTTLE_PER_ACCOUNT_TOTAL"] = "100000"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# the pages are rendered here (400), without collectstatic's manifest
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

N = 30
PASSWORD = "Ein langer Satz als Passwort 7"
WRONG = "falsch falsch falsch"


def _post(client: Client, email: str) -> float:
    start = time.perf_counter()
    response = client.post("/konto/anmelden/", {"email": email, "password": WRONG})
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 400, response.status_code
    return elapsed


def _client(n: int, way: int) -> Client:
    return Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=f"10.{way}.{n // 250}.{n % 250 + 1}")


def main() -> int:
    call_command("migrate", verbosity=0)
    from amtsweg.accounts.models import User

    stamp = int(time.time())
    limit = settings.LOGIN_THROTTLE_PER_ACCOUNT
    existing = [f"da{stamp}-{i}@example.org" for i in range(N + 3)]
    for email in existing:
        User.objects.create_user(email, PASSWORD, email_verified_at=timezone.now())
    unknown = [f"fort{stamp}-{i}@example.org" for i in range(N + 3)]
    ways = {"wrong": ([], []), "locking": ([], []), "blocked": ([], [])}
    for i in range(N + 3):  # interleaved; the first three are warm-up
        for way, email in ((0, existing[i]), (1, unknown[i])):
            client = _client(i, way)
            times = [_post(client, email) for _ in range(limit + 1)]
            if i >= 3:
                ways["wrong"][way].append(times[0])
                ways["locking"][way].append(times[limit - 1])
                ways["blocked"][way].append(times[limit])
    result: dict = {"database": django.db.connection.vendor, "n": N}
    ok = True
    for name, (known, strangers) in ways.items():
        a, b = statistics.median(known), statistics.median(strangers)
        result[name] = {"existing_median_ms": round(a, 1), "unknown_median_ms": round(b, 1),
                        "ratio": round(a / b, 3)}
        ok = ok and 0.9 <= a / b <= 1.1
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-login.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
