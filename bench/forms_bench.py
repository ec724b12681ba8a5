"""Measure the form engine against its targets (see docs/forms.md and bench/README.md).

- validate() of a full answer set of a 300-field form with 65 rules: < 10 ms
- validate_definition() + compile_form() of a 95-field definition (the engine part of saving
  a form): < 100 ms

No database is needed: the generated forms use no German addresses (the PLZ check queries the
territory once per PLZ and is then cached). Results go to bench/results/latest-forms.json.
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

import django  # noqa: E402

django.setup()

from amtsweg.forms import engine, schema  # noqa: E402

OPTIONS = [{"value": f"o{i}", "label": {"de": f"Option {i}", "en": f"Option {i}"}}
           for i in range(8)]


def _field(i: int) -> tuple[dict, object]:
    """A field of one of the answer types, and a valid raw answer for it."""
    key = f"f{i:03d}"
    label = {"de": f"Feld {i}", "en": f"Field {i}"}
    kind = i % 12
    if kind == 0:
        return {"type": "text", "key": key, "label": label, "required": True,
                "pattern": "^[A-Za-zÄÖÜäöüß ]{1,40}$"}, "Erika Mustermann"
    if kind == 1:
        return {"type": "integer", "key": key, "label": label, "min": 0, "max": 1000}, "42"
    if kind == 2:
        return {"type": "decimal", "key": key, "label": label, "max": 100000}, "1.234,5"
    if kind == 3:
        return {"type": "currency", "key": key, "label": label}, "99,90"
    if kind == 4:
        return {"type": "date", "key": key, "label": label, "max": "today"}, "12.08.1964"
    if kind == 5:
        return {"type": "boolean", "key": key, "label": label}, True
    if kind == 6:
        return {"type": "choice", "key": key, "label": label, "options": OPTIONS}, "o3"
    if kind == 7:
        return {"type": "choice", "key": key, "label": label,
                "codelist": "staatsangehoerigkeit"}, "000"
    if kind == 8:
        return {"type": "multichoice", "key": key, "label": label, "options": OPTIONS,
                "max_items": 3}, ["o1", "o2"]
    if kind == 9:
        return {"type": "email", "key": key, "label": label}, "erika@example.de"
    if kind == 10:
        return {"type": "iban", "key": key, "label": label}, "DE89 3704 0044 0532 0130 00"
    return {"type": "textarea", "key": key, "label": label, "max_length": 2000}, "Text " * 40


def build(fields: int, rules: int) -> tuple[dict, dict]:
    """A definition with `fields` answer fields in steps of 20 and `rules` rules spread over
    visibility, validations and computed values; and a full answer set for it."""
    items, answers = [], {}
    for i in range(fields):
        item, value = _field(i)
        items.append(item)
        answers[item["key"]] = value
    integers = [it["key"] for it in items if it["type"] == "integer"]
    targets = [it for it in items if it["type"] not in ("integer", "boolean")]
    for n in range(rules):
        target = targets[(n * 7) % len(targets)]
        source = integers[n % len(integers)]
        if n % 3 == 0:
            target["visible"] = {"and": [{">=": [{"var": source}, 10]},
                                         {"!=": [{"var": "f006"}, "o7"]}]}
        elif n % 3 == 1:
            target.setdefault("validations", []).append({
                "rule": {"<=": [{"+": [{"var": source}, {"var": "f013"}]}, 5000]},
                "message": {"de": "Zu groß.", "en": "Too large."}})
        else:
            computed = {"type": "decimal", "key": f"c{n:03d}", "label": {"de": f"Summe {n}"},
                        "compute": {"*": [{"var": source}, {"if": [{"var": "f005"}, 2, 1]}]}}
            items.append(computed)
    steps = [{"key": f"s{i // 20}", "title": {"de": f"Schritt {i // 20 + 1}"},
              "items": items[i:i + 20]} for i in range(0, len(items), 20)]
    steps[1]["visible"] = {"!": [{"missing": ["f000"]}]}
    defn = {"format": "amtsweg.form/1", "title": {"de": "Benchmark"}, "steps": steps}
    return defn, answers


def timed_ms(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def stats(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"n": len(s), "median_ms": round(statistics.median(s), 3),
            "p95_ms": round(s[int(len(s) * 0.95) - 1], 3), "max_ms": round(s[-1], 3)}


def count_rules(defn: dict) -> int:
    n = sum("visible" in s for s in defn["steps"])
    for step in defn["steps"]:
        for item in step["items"]:
            n += ("visible" in item) + ("compute" in item) + len(item.get("validations", []))
    return n


def main() -> None:
    big, big_answers = build(300, 64)  # + 1 step rule = 65
    small, _answers = build(95, 20)
    assert schema.validate_definition(big) == [], schema.validate_definition(big)[:3]
    assert schema.validate_definition(small) == []
    form = engine.compile_form(big)
    cleaned, errors = form.validate(big_answers)
    assert errors == {}, list(errors.items())[:3]

    validate = stats(timed_ms(lambda: form.validate(big_answers), 300))

    def save() -> None:
        engine._compile_cached.cache_clear()  # measure a real compile, not the cache
        assert schema.validate_definition(small) == []
        engine.compile_form(small)

    save_stats = stats(timed_ms(save, 100))
    cached = stats(timed_ms(lambda: engine.compile_form(big), 100))
    results = {
        "python": sys.version.split()[0], "cpus": os.cpu_count(),
        "validate_300": {**validate, "fields": 300, "rules": count_rules(big),
                         "answers": len(cleaned), "target_ms": 10},
        "save_95": {**save_stats, "fields": 95, "rules": count_rules(small), "target_ms": 100},
        "compile_cached_300": cached,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-forms.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'what':48} {'median':>9} {'p95':>9} {'target':>8}")
    rows = [
        (f"validate() 300 fields, {count_rules(big)} rules", validate, "< 10 ms"),
        ("validate_definition + compile, 95 fields", save_stats, "< 100 ms"),
        ("compile_form (cached, 300 fields)", cached, ""),
    ]
    for name, s, target in rows:
        print(f"{name:48} {s['median_ms']:>7.3f}ms {s['p95_ms']:>7.3f}ms {target:>8}")


if __name__ == "__main__":
    main()
