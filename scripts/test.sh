#!/usr/bin/env bash
# Lint, then the whole test suite twice: on SQLite (embedded default) and on PostgreSQL with
# Redis as cache (the scale-out setup). Called by `make test` and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

# Debian packages the tests need: Chromium (browser tests), xmlsec1 (SAML signatures),
# libmagic1 (python-magic checks uploads by content).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
command -v xmlsec1 >/dev/null 2>&1 || missing+=(xmlsec1)
/sbin/ldconfig -p 2>/dev/null | grep 'libmagic\.so\.1 ' >/dev/null || missing+=(libmagic1)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== Installing Debian packages: ${missing[*]}"
    apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing: ${missing[*]}. Install them with 'sudo apt-get install -y ${missing[*]}'." >&2
    exit 1
  fi
fi

echo "== ruff"
$BIN/ruff check src tests bench
$BIN/amtsweg makemigrations --check --dry-run >/dev/null

export AMTSWEG_VAR_DIR="${AMTSWEG_VAR_DIR:-$(mktemp -d)}"
PG_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/amtsweg}"
REDIS="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

echo "== Tests on SQLite"
env -u DATABASE_URL -u REDIS_URL $BIN/python -m pytest -p no:cacheprovider tests "$@"

reachable() {
  $BIN/python - "$1" "$2" <<'PY'
import sys
kind, url = sys.argv[1:]
try:
    if kind == "pg":
        import psycopg
        psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
    else:
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
except Exception as exc:  # noqa: BLE001
    print(exc, file=sys.stderr)
    sys.exit(1)
PY
}

if reachable pg "${PG_URL%/*}/postgres"; then
  extra=()
  if reachable redis "$REDIS"; then extra=(REDIS_URL="$REDIS"); else echo "(Redis not reachable: PostgreSQL run uses the local cache)"; fi
  echo "== Tests on PostgreSQL ${extra[*]:-}"
  env DATABASE_URL="$PG_URL" "${extra[@]}" $BIN/python -m pytest -p no:cacheprovider tests "$@"
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL is not reachable at $PG_URL, but CI must test on it." >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $PG_URL: skipped (set TEST_DATABASE_URL to test on it)"
fi
