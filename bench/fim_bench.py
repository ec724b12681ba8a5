"""Measure the FIM import (XDatenfelder 3.0.0 → form definition) against its target.

A designer uploads a Stammdatenschema and waits for the form; real schemas are 50–200 KB.
Target: a ~150 KB message imports in < 200 ms (median of 20 runs). The generated message
uses every field kind the importer maps, so the figure covers the whole mapping, and the
test suite imports the same message (tests/forms/test_fim.py).

    .venv/bin/python bench/fim_bench.py
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RUNS = 20
TARGET_MS = 200
TARGET_BYTES = 150_000

NS = "urn:xoev-de:fim:standard:xdatenfelder_3.0.0"

# (datentyp, feldart, extra XML) – one of each kind the importer maps
KINDS = [
    ("text", "input", '<xdf:praezisierung minLength="1" maxLength="60"/>'),
    ("text", "input", '<xdf:praezisierung maxLength="2000"/>'),
    ("text", "input", '<xdf:praezisierung minLength="5" maxLength="5" pattern="[0-9]{5}"/>'),
    ("num_int", "input", '<xdf:praezisierung minValue="0" maxValue="20"/>'),
    ("num", "input", '<xdf:praezisierung minValue="0.5" maxValue="99.5"/>'),
    ("num_currency", "input", ""),
    ("date", "input", '<xdf:praezisierung minValue="1900-01-01"/>'),
    ("bool", "input", ""),
    ("text", "select", "<xdf:werte>" + "".join(
        f"<xdf:wert><xdf:code>{c}</xdf:code><xdf:name>Wert {c}</xdf:name></xdf:wert>"
        for c in ("01", "02", "03", "04")) + "</xdf:werte>"),
    ("text", "select", "<xdf:codelisteReferenz><xdf:canonicalIdentification>"
     "urn:xoev-de:xinneres:codeliste:geschlecht</xdf:canonicalIdentification>"
     "<xdf:version>1</xdf:version></xdf:codelisteReferenz>"),
    ("file", "input", "<xdf:maxSize>5000000</xdf:maxSize>"
     "<xdf:mediaType>application/pdf</xdf:mediaType>"),
    ("text", "label", ""),
]


def _element_head(kind: str, fim_id: str, name: str) -> str:
    return (f"<xdf:identifikation><xdf:id>{fim_id}</xdf:id><xdf:version>1.0.0</xdf:version>"
            f"</xdf:identifikation><xdf:name>{escape(name)}</xdf:name>"
            f"<xdf:beschreibung>Beschreibung von {escape(name)} für die Redaktion"
            f"</xdf:beschreibung><xdf:freigabestatus><code>6</code></xdf:freigabestatus>"
            f"<xdf:letzteAenderung>2024-01-01T00:00:00Z</xdf:letzteAenderung>"
            f"<xdf:bezeichnungEingabe>{escape(name)}</xdf:bezeichnungEingabe>"
            f"<xdf:schemaelementart><code>HAR</code></xdf:schemaelementart>"
            f"<xdf:hilfetextEingabe>Bitte geben Sie {escape(name)} an.</xdf:hilfetextEingabe>")


def _field(n: int) -> str:
    datentyp, feldart, extra = KINDS[n % len(KINDS)]
    name = f"Feld {n} {datentyp} {feldart}"
    inhalt = f"<xdf:inhalt>Hinweistext {n}</xdf:inhalt>" if feldart == "label" else ""
    return (f"<xdf:datenfeld>{_element_head('datenfeld', f'F{600000000 + n}', name)}"
            f"<xdf:feldart><code>{feldart}</code></xdf:feldart>"
            f"<xdf:datentyp><code>{datentyp}</code></xdf:datentyp>{extra}{inhalt}"
            f"<xdf:vorbefuellung><code>keine</code></xdf:vorbefuellung></xdf:datenfeld>")


def _struktur(anzahl: str, content: str) -> str:
    return (f"<xdf:struktur><xdf:anzahl>{anzahl}</xdf:anzahl><xdf:enthaelt>{content}"
            f"</xdf:enthaelt></xdf:struktur>")


def _rule(n: int) -> str:
    return (f"<xdf:regel><xdf:identifikation><xdf:id>R{600000000 + n}</xdf:id>"
            f"<xdf:version>1.0.0</xdf:version></xdf:identifikation>"
            f"<xdf:name>Regel {n}</xdf:name><xdf:freitextRegel>Wenn Feld {n} befüllt ist, muss "
            f"auch Feld {n + 1} befüllt werden.</xdf:freitextRegel>"
            f"<xdf:letzteAenderung>2024-01-01T00:00:00Z</xdf:letzteAenderung>"
            f"<xdf:typ><code>V</code></xdf:typ></xdf:regel>")


def synthetic_message(target_bytes: int = TARGET_BYTES, fields_per_step: int = 16) -> bytes:
    """A valid XDatenfelder 3.0.0 Stammdatenschema of about `target_bytes`.

    Each step is a group of fields with one rule and a nested repeated group of three
    fields (cardinality 0:*)."""
    steps, size, n, g = [], 0, 0, 0
    while size < target_bytes - 2000:
        g += 1
        fields = []
        for _ in range(fields_per_step):
            fields.append(_struktur("1:1" if n % 3 else "0:1", _field(n)))
            n += 1
        inner = "".join(_struktur("0:1", _field(n + i)) for i in range(3))
        n += 3
        nested = _struktur("0:*", f"<xdf:datenfeldgruppe>"
                                  f"{_element_head('gruppe', f'G{700000000 + g}', f'Eintrag {g}')}"
                                  f"{inner}</xdf:datenfeldgruppe>")
        step = (f"<xdf:datenfeldgruppe>"
                f"{_element_head('gruppe', f'G{600000000 + g}', f'Abschnitt {g}')}"
                f"{_rule(g)}{''.join(fields)}{nested}</xdf:datenfeldgruppe>")
        steps.append(_struktur("1:1", step))
        size += len(step.encode())
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="{NS}">'
           f"<xdf:header><xdf:nachrichtID>bench</xdf:nachrichtID>"
           f"<xdf:erstellungszeitpunkt>2024-01-01T00:00:00Z</xdf:erstellungszeitpunkt>"
           f"</xdf:header><xdf:stammdatenschema><xdf:identifikation><xdf:id>S60000000001</xdf:id>"
           f"<xdf:version>1.0.0</xdf:version></xdf:identifikation>"
           f"<xdf:name>Synthetischer Antrag</xdf:name>"
           f"<xdf:freigabestatus><code>6</code></xdf:freigabestatus>"
           f"<xdf:letzteAenderung>2024-01-01T00:00:00Z</xdf:letzteAenderung>"
           f"<xdf:bezeichnung>Synthetischer Antrag</xdf:bezeichnung>"
           f"{''.join(steps)}</xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>")
    return xml.encode()


def bench_fim() -> dict:
    from amtsweg.forms.fim import import_xdatenfelder

    data = synthetic_message()
    result = import_xdatenfelder(data)
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        import_xdatenfelder(data)
        samples.append((time.perf_counter() - t) * 1000)
    return {"bytes": len(data), "steps": len(result.definition["steps"]), "runs": RUNS,
            "median_ms": round(statistics.median(samples), 2),
            "max_ms": round(max(samples), 2), "target_ms": TARGET_MS}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
    import django

    django.setup()
    results = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "fim": bench_fim()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-fim.json").write_text(json.dumps(results, indent=2) + "\n")
    f = results["fim"]
    print(f"FIM import of {f['bytes'] / 1000:.0f} KB ({f['steps']} steps): median "
          f"{f['median_ms']:.1f} ms, max {f['max_ms']:.1f} ms over {f['runs']} runs "
          f"(target < {TARGET_MS} ms)")


if __name__ == "__main__":
    main()
