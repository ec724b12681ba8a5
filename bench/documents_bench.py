"""Measure PDF rendering of a receipt (Eingangsbestätigung) against its target.

A typical receipt (30 answer rows in three sections, 3 attachments) is rendered 30 times after
warm-up, each run with another receipt number so that typst cannot answer from its memo cache;
the target is a median below 100 ms. Also measured: the first render of a fresh process (font
loading, template parsing) and a 300-row receipt.

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
    return {"first_render_ms": round(first_ms, 1), "receipt_30_rows": summary(typical),
            "receipt_bytes": size, "receipt_300_rows": summary(long),
            "target_median_ms": TARGET_MS}


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
    print(f"first render of the process {d['first_render_ms']} ms; "
          f"300 rows median {long['median_ms']} ms")


if __name__ == "__main__":
    main()
