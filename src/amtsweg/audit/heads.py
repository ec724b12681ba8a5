"""Exported heads: a signed copy of every chain's newest (seq, hash), kept outside the
database.

The keyed chain (audit/keys.py) cannot be rewritten without the key, but its tail can be
cut off: deleting the newest entries and moving the head back leaves a shorter chain that
verifies. Only a copy of the heads made earlier shows it. ``audit_verify --export-heads
FILE`` writes such a copy (after the chains verified), ``--heads FILE`` checks that every
head in it is still in its chain, and ``--checkpoint`` does both with AUDIT_HEADS_FILE (the
embedded default runs it at start and every hour; production schedules it and keeps the
file, or its log line, where the database's users cannot write).

The file is JSON with an HMAC under the audit key, so it cannot be edited to match a cut
chain without the key either:

    {"format": "amtsweg-audit-heads/1", "exported_at": "…", "key_id": "…",
     "heads": {"authority:12": {"seq": 41, "hash": "…"}, …}, "mac": "…"}
"""

import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from . import keys
from .actions import PLATFORM, Heads
from .models import AuditHead

FORMAT = "amtsweg-audit-heads/1"
PURPOSE = b"audit-heads"  # keys.mac purpose: a heads file's MAC never passes as an entry's


STARTED = "audit.heads_started"
"""Platform-chain action of the first checkpoint (and of every new reference)."""


def started() -> bool:
    """Whether a checkpoint has ever exported heads for this database."""
    from .models import AuditEntry

    return AuditEntry.objects.filter(tenant=PLATFORM, action=STARTED).exists()


class HeadsFileError(ValueError):
    """The heads file is missing, unreadable, or not signed by a configured audit key."""


def _canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def snapshot() -> dict:
    """The current heads, signed with the current audit key."""
    heads = {h.tenant: {"seq": h.seq, "hash": h.hash}
             for h in AuditHead.objects.filter(seq__gt=0).order_by("tenant")}
    document = {"format": FORMAT, "exported_at": timezone.now().isoformat(timespec="seconds"),
                "key_id": keys.current_id(), "heads": heads}
    document["mac"] = keys.mac(document["key_id"], PURPOSE, _canonical(document))
    return document


def digest(document: dict) -> str:
    """A short fingerprint of the heads, for a log line that a log server keeps."""
    return hashlib.sha256(_canonical(document["heads"])).hexdigest()[:16]


def write(path: Path, document: dict) -> None:
    """Atomically and readable by the owner only (0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".audit-heads-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(document, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> Heads:
    """The heads of a file written by :func:`write`, after checking its MAC."""
    try:
        document = json.loads(Path(path).read_text())
        kid, mac, heads = document["key_id"], document["mac"], document["heads"]
        if document.get("format") != FORMAT:
            raise HeadsFileError(f"{path}: not an Amtsweg heads file")
        unsigned = {k: v for k, v in document.items() if k != "mac"}
        expected = keys.mac(kid, PURPOSE, _canonical(unsigned))
        if not hmac.compare_digest(expected, str(mac)):
            raise HeadsFileError(f"{path}: the MAC does not match (the file was changed)")
        return {tenant: (int(h["seq"]), str(h["hash"])) for tenant, h in heads.items()}
    except keys.UnknownAuditKey as exc:
        raise HeadsFileError(f"{path}: {exc}") from None
    except OSError as exc:
        raise HeadsFileError(f"{path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, HeadsFileError):
            raise
        raise HeadsFileError(f"{path}: not a readable heads file ({exc})") from None


def default_path() -> Path:
    """AUDIT_HEADS_FILE, or var/audit_heads.json."""
    return Path(getattr(settings, "AUDIT_HEADS_FILE", "")
                or settings.VAR_DIR / "audit_heads.json")
