"""Measure rendering of one form step (`amtsweg.forms.render.render_step`) against its target.

The step has 100 answer fields of all types (texts, numbers, dates, radio groups, selects,
checkbox groups, a boolean, an address, a file upload and a repeated group with three entries),
visibility rules with htmx refresh, ten error messages and partly filled answers. It is rendered
50 times after warm-up; the target is a median below 20 ms. The error summary is measured too.

Run alone with `.venv/bin/python bench/render_bench.py`, or call `bench_render()` from
bench/run.py. Needs no database.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_MS = 20

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")

import django  # noqa: E402

django.setup()

from django.utils import translation  # noqa: E402

from amtsweg.forms.render import render_error_summary, render_step  # noqa: E402


def t(de: str) -> dict:
    return {"de": de, "en": de + " (en)"}


def options(n: int) -> list[dict]:
    return [{"value": f"o{i}", "label": t(f"Option {i}")} for i in range(n)]


def hundred_field_step() -> tuple[dict, dict, dict]:
    """A definition with one step of 100 answer fields, answers and errors for it."""
    items: list[dict] = []
    answers: dict = {}
    errors: dict = {}
    n = 0

    def add(item: dict, value=None) -> None:
        nonlocal n
        n += 1
        items.append(item)
        if value is not None:
            answers[item["key"]] = value

    add({"type": "choice", "key": "art", "label": t("Für wen?"), "required": True,
         "options": options(3)}, "o1")
    for i in range(40):
        add({"type": "text", "key": f"text_{i}", "label": t(f"Textfeld {i}"),
             "required": i % 2 == 0, "help": t("Hilfetext") if i % 4 == 0 else None,
             **({"visible": {"==": [{"var": "art"}, "o1"]}} if i % 10 == 0 else {})},
            f"Wert <{i}>" if i % 3 else None)
    for kind in ("integer", "decimal", "currency", "email", "phone", "iban", "textarea"):
        for i in range(3):
            add({"type": kind, "key": f"{kind}_{i}", "label": t(f"{kind} {i}")}, "12")
    for i in range(9):
        add({"type": "date", "key": f"datum_{i}", "label": t(f"Datum {i}"), "max": "today"},
            "2000-01-01")
    for i in range(8):
        add({"type": "choice", "key": f"radio_{i}", "label": t(f"Auswahl {i}"),
             "options": options(4)}, "o2")
    for i in range(5):
        add({"type": "choice", "key": f"select_{i}", "label": t(f"Liste {i}"),
             "options": options(40)}, "o7")
    for i in range(4):
        add({"type": "multichoice", "key": f"multi_{i}", "label": t(f"Mehrfach {i}"),
             "options": options(5)}, ["o1", "o3"])
    add({"type": "boolean", "key": "zustimmung", "label": t("Ich versichere"),
         "required": True}, True)
    add({"type": "address", "key": "anschrift", "label": t("Anschrift"), "required": True},
        {"street": "Hauptstraße", "house_number": "1", "postal_code": "36037",
         "place": "Fulda"})
    add({"type": "file", "key": "nachweise", "label": t("Nachweise"),
         "file": {"types": ["application/pdf", "image/jpeg"], "max_size": 10_000_000,
                  "max_count": 3}}, ["upl_1"])
    add({"type": "info", "key": "hinweis", "text": t("Ein Hinweis.\n\nMit zwei Absätzen.")})
    n -= 1  # info is no answer field
    entry_items = [{"type": "text", "key": "vorname", "label": t("Vorname"), "required": True},
                   {"type": "date", "key": "geburtsdatum", "label": t("Geburtsdatum")},
                   {"type": "choice", "key": "geschlecht", "label": t("Geschlecht"),
                    "options": options(3)}]
    entries = 3
    fields_left = 100 - n
    assert fields_left == entries * len(entry_items), fields_left
    add({"type": "group", "key": "kinder", "label": t("Kinder"), "repeat": {"min": 1, "max": 5},
         "items": entry_items},
        [{"vorname": "Max", "geburtsdatum": "2020-01-01", "geschlecht": "o1"}] * entries)
    for key in ("text_0", "text_4", "integer_1", "datum_2", "radio_3", "multi_1",
                "anschrift.postal_code", "zustimmung", "kinder.1.vorname", "select_4"):
        errors[key] = ["Bitte prüfen Sie diese Angabe."]
    definition = {"format": "amtsweg.form/1", "title": t("Benchmark"),
                  "steps": [{"key": "alles", "title": t("Alle Angaben"), "items": items}]}
    return definition, answers, errors


def summary(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"n": len(s), "median_ms": round(statistics.median(s), 3),
            "p95_ms": round(s[max(0, round(len(s) * 0.95) - 1)], 3),
            "min_ms": round(s[0], 3), "max_ms": round(s[-1], 3)}


def bench_render(runs: int = 50, warmup: int = 5) -> dict:
    definition, answers, errors = hundred_field_step()
    kwargs = {"visible": lambda path: not path.startswith("text_1"),
              "uploads": {"upl_1": {"name": "Nachweis.pdf", "size": 123_456}},
              "refresh_url": "/antrag/1/refresh"}

    def once() -> tuple[float, int]:
        start = time.perf_counter()
        html = render_step(definition, "alles", answers, errors, **kwargs)
        return (time.perf_counter() - start) * 1000, len(html)

    with translation.override("de"):
        first_ms, _ = once()
        for _ in range(warmup):
            once()
        samples, size = [], 0
        for _ in range(runs):
            ms, size = once()
            samples.append(ms)
        summaries = []
        for _ in range(runs):
            start = time.perf_counter()
            render_error_summary(definition, errors, "alles")
            summaries.append((time.perf_counter() - start) * 1000)
    return {"fields": 100, "first_render_ms": round(first_ms, 2),
            "step_100_fields": summary(samples), "html_bytes": size,
            "error_summary_10_errors": summary(summaries), "target_median_ms": TARGET_MS}


def main() -> None:
    results = {"cpus": os.cpu_count(), "python": sys.version.split()[0],
               "render": bench_render()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-render.json").write_text(json.dumps(results, indent=2) + "\n")
    r = results["render"]
    s, e = r["step_100_fields"], r["error_summary_10_errors"]
    print(f"form step, 100 fields ({r['html_bytes']} bytes of HTML): median {s['median_ms']} ms, "
          f"p95 {s['p95_ms']} ms over {s['n']} runs (target median < {TARGET_MS} ms)")
    print(f"first render of the process {r['first_render_ms']} ms; "
          f"error summary (10 errors) median {e['median_ms']} ms")


if __name__ == "__main__":
    main()
