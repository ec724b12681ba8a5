"""Idempotent bulk upsert used by the data imports."""

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models
from tqdm import tqdm


def upsert(
    model: type[models.Model],
    key: str | tuple[str, ...],
    rows: Iterable[dict[str, Any]],
    *,
    progress: Callable[[Iterable], Iterable] | None = None,
    defaults: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """Create missing rows and update changed ones, matched on ``key`` (one unique field or a
    tuple of fields). ``defaults`` are set on created rows only.

    Returns (created, updated). Running it twice with the same rows changes nothing.
    """
    fields_of_key = (key,) if isinstance(key, str) else key

    def identity(values: Any) -> tuple:
        get = values.get if isinstance(values, dict) else lambda f: _value(values, f)
        return tuple(get(f) for f in fields_of_key)

    existing = {identity(obj): obj for obj in model.objects.all()}
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    fields: set[str] = set()
    for row in progress(rows) if progress else rows:
        obj = existing.get(identity(row))
        if obj is None:
            to_create.append(model(**(defaults or {}), **row))
            continue
        changed = [f for f, v in row.items() if f not in fields_of_key and _value(obj, f) != v]
        if changed:
            for f in changed:
                setattr(obj, f, row[f])
            fields.update(changed)
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, sorted(fields), batch_size=500)
    return len(to_create), len(to_update)


def _value(obj: models.Model, field: str) -> Any:
    if field.endswith("_id") or not hasattr(obj, f"{field}_id"):
        return getattr(obj, field)
    return getattr(obj, f"{field}_id")


def progress_bar(desc: str, total: int | None = None, enabled: bool = True):
    """A tqdm progress bar factory for ``upsert``; silent when ``enabled`` is false."""

    def wrap(it: Iterable) -> Iterable:
        return tqdm(it, desc=desc, total=total, unit=" rows", disable=not enabled, leave=True)

    return wrap
