"""Re-encrypt everything encrypted directly with the master key (core.crypto) with the
current FIELD_ENCRYPTION_KEY: the columns and Postfach files the apps registered with
crypto.register. `rotate_keys --rewrap` runs it after re-wrapping the tenant data keys.

Per registered model, rows in batches by primary key, each batch one transaction that locks
its rows, rewrites the stale values and writes one audit entry (platform chain, action
`core.values_reencrypted`, the model, the ids and the key id; never a value). Values already
under the current key are skipped (text columns are filtered in SQL by their key id prefix,
files by their first bytes), so a second run changes nothing. A file is written anew under a
fresh storage name, the row is pointed at it, and the old file is deleted after the commit
(a rollback deletes the new files instead): the row always names a file that opens.

A value that no configured key opens (a master key missing from FIELD_ENCRYPTION_OLD_KEYS, a
missing file) is left as it is and reported by id; the caller must not drop an old key then.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction

from amtsweg.audit import actions as audit

from . import crypto

BATCH = 500
ACTION = "core.values_reencrypted"


@dataclass
class Result:
    model: str
    checked: int = 0
    reencrypted: int = 0
    unreadable: list[str] = field(default_factory=list)


def reencrypt_all(batch: int = BATCH,
                  progress: Callable[[Result], None] | None = None) -> list[Result]:
    return [reencrypt(entry, batch, progress) for entry in crypto.registered()]


def reencrypt(entry: crypto.Encrypted, batch: int = BATCH,
              progress: Callable[[Result], None] | None = None) -> Result:
    model = apps.get_model(entry.model)
    result = Result(entry.model)
    kid = crypto.current_key_id()
    rows = model.objects.all()
    if not entry.files:
        stale = models.Q()
        for column in entry.columns:
            stale |= (~models.Q(**{f"{column}__startswith": f"{crypto.PREFIX}{kid}:"})
                      & ~models.Q(**{column: ""}))
        rows = rows.filter(stale)
    last = None
    while True:
        written: list[str] = []  # new files of this batch, deleted again if it rolls back
        try:
            with transaction.atomic():
                page = rows.select_for_update().order_by("pk")
                if last is not None:
                    page = page.filter(pk__gt=last)
                page = list(page[:batch])
                if not page:
                    break
                if entry.files:
                    changed, replaced = _files(entry, page, result, written)
                    transaction.on_commit(lambda names=replaced: _delete(names))
                else:
                    changed = _values(entry, page, result)
                if changed:
                    model.objects.bulk_update(changed, list(entry.columns), batch_size=batch)
                    audit.record(tenant=audit.PLATFORM, actor="system", action=ACTION,
                                 object_type=entry.model,
                                 data={"key": kid, "count": len(changed),
                                       "ids": [str(row.pk) for row in changed]})
        except BaseException:
            _delete(written)
            raise
        result.checked += len(page)
        result.reencrypted += len(changed)
        last = page[-1].pk
        if progress:
            progress(result)
    return result


def _values(entry: crypto.Encrypted, page: list, result: Result) -> list:
    changed = []
    for row in page:
        try:
            for column in entry.columns:
                token = getattr(row, column)
                if token and not crypto.is_current(token):
                    setattr(row, column, crypto.reencrypt(token, entry.context(row, column)))
        except (InvalidTag, ValueError):
            result.unreadable.append(str(row.pk))
            continue
        changed.append(row)
    return changed


def _files(entry: crypto.Encrypted, page: list, result: Result,
           written: list[str]) -> tuple[list, list[str]]:
    column = entry.columns[0]
    changed, replaced = [], []
    for row in page:
        name = getattr(row, column)
        if not name:
            continue
        try:
            with default_storage.open(name, "rb") as fh:
                head = fh.read(len(crypto.FILE_MAGIC) + crypto.KID_LENGTH)
                if crypto.is_current(head):
                    continue  # only the header is read for files already done
                blob = head + fh.read()
            blob = crypto.reencrypt_bytes(blob, entry.context(row, column))
        except (FileNotFoundError, InvalidTag, ValueError):
            result.unreadable.append(str(row.pk))
            continue
        written.append(default_storage.save(name, ContentFile(blob)))  # a fresh name beside it
        replaced.append(name)
        setattr(row, column, written[-1])
        changed.append(row)
    return changed, replaced


def _delete(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)
