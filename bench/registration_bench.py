"""Registration answers as fast for an address that has an account as for a new one (issue 11,
finding 5). Median server time of 50 registrations each way through the whole Django stack
(test client, real settings: Argon2, SQLite or DATABASE_URL, the database task backend, so the
mails are queued for the worker as in production). Target: medians within 10 % of each other.
Results go to bench/results/latest-registration.json.
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
os.environ["MAIL_THROTTLE_PER_CLIENT"] = "100000"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

N = 50
PASSWORD = "Ein langer Satz als Passwort 7"


def _post(client: Client, email: str) -> float:
    data = {"email": email, "first_name": "Erika", "last_name": "Mustermann",
            "password1": PASSWORD, "password2": PASSWORD, "privacy": "on"}
    start = time.perf_counter()
    response = client.post("/konto/registrieren/", data)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 302, response.status_code
    return elapsed


def main() -> int:
    call_command("migrate", verbosity=0)
    from amtsweg.accounts.models import User

    stamp = int(time.time())
    existing = [f"da{stamp}-{i}@example.org" for i in range(N)]
    for email in existing:
        User.objects.create_user(email, PASSWORD)
    client = Client(HTTP_HOST="127.0.0.1")
    for i in range(5):  # warm-up: templates, hasher, connections
        _post(client, f"warm{stamp}-{i}@example.org")
        _post(client, existing[i])
    new_ms, existing_ms = [], []
    for i in range(N):  # interleaved, so drifts of the machine hit both alike
        new_ms.append(_post(client, f"neu{stamp}-{i}@example.org"))
        existing_ms.append(_post(client, existing[i]))
    result = {
        "database": django.db.connection.vendor,
        "new_address_median_ms": round(statistics.median(new_ms), 1),
        "existing_address_median_ms": round(statistics.median(existing_ms), 1),
        "n": N,
    }
    result["ratio"] = round(result["existing_address_median_ms"]
                            / result["new_address_median_ms"], 3)
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-registration.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if 0.9 <= result["ratio"] <= 1.1 else 1


if __name__ == "__main__":
    sys.exit(main())
