"""Measure PDF rendering of a receipt (Eingangsbestätigung) against its target.

A typical receipt (30 answer rows in three sections, 3 attachments) is rendered 30 times after
warm-up, each run with another receipt number so that typst cannot answer from its memo cache;
the target is a median below 100 ms. Also measured: the first render of a fresh process (font
loading, template parsing), a 300-row receipt, the Bescheid from the registered template and
the Bescheid with a text written in the designer (markup conversion included).

Run alone with `.venv/bin/python bench/documents_bench.py`, or call `bench_documents()` from
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
TARGET_MS = 100

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")

import django  # noqa: E402

django.setup()

from amtsweg.cases.noticetext import to_blocks  # noqa: E402
from amtsweg.documents.examples import receipt_data  # noqa: E402
from amtsweg.documents.render import render_pdf  # noqa: E402


def timed_render(data: dict) -> tuple[float, int]:
    t = time.perf_counter()
    pdf = render_pdf("receipt", data)
    return (time.perf_counter() - t) * 1000, len(pdf)


def summary(samples: list[float]) -> dict:
    s = sorted(samples)
    return {"n": len(s), "median_ms": round(statistics.median(s), 2),
            "p95_ms": round(s[max(0, round(len(s) * 0.95) - 1)], 2),
            "min_ms": round(s[0], 2), "max_ms": round(s[-1], 2)}


def bench_documents(runs: int = 30, warmup: int = 5) -> dict:
    first_ms, _ = timed_render(receipt_data(rows=30, attachments=3, number=1))
    for i in range(warmup):
        timed_render(receipt_data(rows=30, attachments=3, number=100 + i))
    typical, size = [], 0
    for i in range(runs):
        ms, size = timed_render(receipt_data(rows=30, attachments=3, number=1000 + i))
        typical.append(ms)
    long = [timed_render(receipt_data(rows=300, attachments=10, number=5000 + i))[0]
            for i in range(5)]
    notices = []
    for i in range(runs + warmup):
        t = time.perf_counter()
        render_pdf("notice", notice_data(i))
        notices.append((time.perf_counter() - t) * 1000)
    written = []
    for i in range(runs + warmup):
        data = notice_data(i)
        t = time.perf_counter()
        data["body"] = to_blocks(WRITTEN_TEXT, written_values(data), "bewilligt")
        render_pdf("notice", data)
        written.append((time.perf_counter() - t) * 1000)
    return {"first_render_ms": round(first_ms, 1), "receipt_30_rows": summary(typical),
            "receipt_bytes": size, "receipt_300_rows": summary(long),
            "notice": summary(notices[warmup:]),
            "notice_written_text": summary(written[warmup:]), "target_median_ms": TARGET_MS}


# A notice text as a designer writes it (cases.noticetext markup): headings, paragraphs, a
# list, bold, placeholders and outcome blocks; conversion and rendering are measured together.
WRITTEN_TEXT = """# Entscheidung

Sehr geehrte Frau {{ answers.familienname }},

auf Ihren Antrag vom {{ case.submitted_at }} (Eingangsnummer {{ case.receipt_number }}) ergeht
folgender Bescheid: **{{ decision }}**

{{#bewilligt}}
## Bewilligung
Das Wohngeld wird für die folgenden Monate bewilligt:
- Bewilligungszeitraum: {{ answers.zeitraum }}
- Haushaltsmitglieder: {{ answers.personen }}
- Monatliche Miete: {{ answers.miete }}
{{/bewilligt}}
{{#abgelehnt}}
## Ablehnung
Ihr Antrag muss leider abgelehnt werden.
{{/abgelehnt}}

## Begründung
{{ reasons }}

Bitte teilen Sie uns Änderungen Ihrer Verhältnisse unverzüglich mit. Bei Rückfragen
erreichen Sie uns unter {{ authority.phone }} oder {{ authority.email }}.
"""


def written_values(data: dict) -> dict:
    return {"case.receipt_number": data["receipt_number"],
            "case.submitted_at": data["submitted_at"], "decision": data["decision"],
            "reasons": data["reasons"], "authority.phone": data["authority"]["phone"],
            "authority.email": data["authority"]["email"],
            "answers.familienname": data["applicant"]["name"].split()[-1],
            "answers.zeitraum": "01.12.2026 – 30.11.2027", "answers.personen": "3",
            "answers.miete": "845,00 €"}


def notice_data(i: int) -> dict:
    """A Bescheid as cases.notices.notice_data fills it (German labels), varied per run so
    that Typst's cache does not answer."""
    from amtsweg.cases.notices import REMEDY

    return {
        "title": "Bescheid über Ihren Antrag: Wohngeld", "platform": "Amtsweg",
        "receipt_number": f"AW-2026-{i:04d}-BENCH", "notice_number": f"AW-2026-{i:04d}-B1",
        "service": "Wohngeld beantragen", "submitted_at": "02.11.2026",
        "place_date": "Korbach, 30. November 2026",
        "applicant": {"name": f"Erika Mustermann {i}", "address": ""},
        "authority": {"name": "Wohngeldstelle des Landkreises Waldeck-Frankenberg",
                      "address": "Südring 2, 34497 Korbach", "email": "wohngeld@example.org",
                      "phone": "05631 954-0"},
        "decision": "Ihr Antrag wird bewilligt.",
        "reasons": "Die Voraussetzungen nach §§ 3 ff. WoGG liegen vor. " * 8,
        "fee": "", "remedy": REMEDY["de"], "closing": "Mit freundlichen Grüßen",
        "signer": "Team Wohngeld", "signer_role": "Sachbearbeitung",
        "labels": {"receipt_number": "Eingangsnummer", "notice_number": "Bescheidnummer",
                   "service": "Leistung", "submitted_at": "Antrag vom",
                   "decision": "Entscheidung", "reasons": "Begründung", "fee": "Gebühr",
                   "remedy": "Rechtsbehelfsbelehrung", "page_of": "Seite {page} von {pages}",
                   "contact": "Kontakt", "email": "E-Mail", "phone": "Telefon",
                   "authority": "Zuständige Behörde"},
    }


def main() -> None:
    results = {"cpus": os.cpu_count(), "python": sys.version.split()[0],
               "documents": bench_documents()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-documents.json").write_text(json.dumps(results, indent=2) + "\n")
    d = results["documents"]
    r, long = d["receipt_30_rows"], d["receipt_300_rows"]
    print(f"receipt PDF (30 rows, 3 attachments, {d['receipt_bytes']} bytes): "
          f"median {r['median_ms']} ms, p95 {r['p95_ms']} ms over {r['n']} runs "
          f"(target median < {TARGET_MS} ms)")
    n = d["notice"]
    print(f"notice PDF (Bescheid): median {n['median_ms']} ms, p95 {n['p95_ms']} ms "
          f"(target < {TARGET_MS} ms)")
    w = d["notice_written_text"]
    print(f"notice PDF with a designer's text (conversion + render): median "
          f"{w['median_ms']} ms, p95 {w['p95_ms']} ms (target < {TARGET_MS} ms)")
    print(f"first render of the process {d['first_render_ms']} ms; "
          f"300 rows median {long['median_ms']} ms")


if __name__ == "__main__":
    main()
