"""Place search and the German PLZ list (issue 12: major 4 and blocker 2).

1. `territory.lookup.find_places()` for names typed the way people type them (exact, prefix,
   brackets and slashes, typos, an unknown word) and for a PLZ: the forgiving search (one
   in-memory word index of the 421 Gemeinden and their Ortsteile, matched with
   `core.fuzzy.Vocabulary`, the catalogue search's word matcher) against the former code
   (substring tests over every Gemeinde row read from the database, then over every PLZ row),
   median/p95 of 300 each; "cold" clears the word cache before each run. Building the word
   index once per territory version is timed too.
2. The address check: `forms.types.clean_address()` of an address in Bochum, in Hessen and
   with an unlisted PLZ (61343, confirmed), with the PLZ cache cleared before each run (a PLZ
   seen for the first time) and warm.
3. Importing `plz_deutschland.csv` (12,871 rows) into an empty table and again (nothing to
   change).

A fresh SQLite database (or DATABASE_URL as is) is migrated and given the territory. Run
alone with `.venv/bin/python bench/places_bench.py`. Results: bench/results/latest-places.json.
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

os.environ.setdefault("AMTSWEG_VAR_DIR", tempfile.mkdtemp(prefix="amtsweg-places-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

QUERIES = ["Fulda", "Fuld", "Frankfurt", "Homberg/Ohm", "homberg ohm", "Hombreg", "Wiesbadn",
           "Offenbach am Mian", "Bromskirchen", "Atlantis", "36037"]


def timed_ms(fn, runs: int, before=None) -> dict:
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 3),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 3),
            "max_ms": round(samples[-1], 3)}


def former_find_places(query: str, limit: int = 20):
    """The name branch of find_places before issue 12 (kept here for the comparison)."""
    from amtsweg.core.text import fold
    from amtsweg.territory.lookup import PLZ_RE, _group
    from amtsweg.territory.models import Area, PostalCode

    query = query.strip()
    if PLZ_RE.match(query):
        rows = PostalCode.objects.filter(plz=query).select_related("area").order_by("area__name")
        return _group(rows)[:limit]
    needle = fold(query)
    scored = []
    for area in Area.objects.filter(kind=Area.Kind.GEMEINDE, gemeindefrei=False):
        name = fold(area.display_name)
        if name == needle:
            scored.append((0, name, area))
        elif name.startswith(needle):
            scored.append((1, name, area))
        elif needle in name:
            scored.append((2, name, area))
    if any(rank == 0 for rank, _, _ in scored):
        scored = [s for s in scored if s[0] == 0]
    ids = [a.pk for _, _, a in sorted(scored, key=lambda t: (t[0], t[1]))[:limit]]
    extra = PostalCode.objects.exclude(area_id__in=ids).select_related("area").order_by("place")
    by_place = [pc for pc in extra if needle in fold(pc.place)]
    codes = PostalCode.objects.filter(area_id__in=ids).select_related("area")
    places = {p.area.pk: p for p in _group(list(codes) + by_place)}
    ordered = [places[i] for i in ids if i in places]
    ordered += [p for k, p in places.items() if k not in ids]
    return ordered[:limit]


def main() -> None:
    from django.db import connection

    from amtsweg.forms import types
    from amtsweg.territory import lookup
    from amtsweg.territory.actions import import_german_postal_codes, import_territory
    from amtsweg.territory.models import GermanPostalCode

    call_command("migrate", verbosity=0)
    import_territory()
    results: dict = {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                     "database": connection.vendor, "search": {}}

    lookup.invalidate()
    lookup.place_index()  # the areas themselves are loaded once per process anyway

    def rebuild() -> None:
        lookup._current().place_index = None
        lookup.place_index()

    results["index_build"] = timed_ms(rebuild, 30)
    print(f"{'query':20} {'new warm':>10} {'new cold':>10} {'former':>10}  found (new | former)")
    for q in QUERIES:
        warm = timed_ms(lambda q=q: lookup.find_places(q), 300)
        cold = timed_ms(lambda q=q: lookup.find_places(q), 300,
                        before=lambda: lookup.place_index().vocabulary.expand.cache_clear())
        former = timed_ms(lambda q=q: former_find_places(q), 300)
        new_found = [p.area.display_name for p in lookup.find_places(q)]
        old_found = [p.area.display_name for p in former_find_places(q)]
        results["search"][q] = {"warm": warm, "cold": cold, "former": former,
                                "found": new_found[:5], "former_found": old_found[:5]}
        print(f"{q:20} {warm['median_ms']:>8.3f}ms {cold['median_ms']:>8.3f}ms "
              f"{former['median_ms']:>8.3f}ms  {len(new_found)} {new_found[:2]} | "
              f"{len(old_found)} {old_found[:2]}")

    addresses = {
        "Bochum": {"street": "A", "house_number": "1", "postal_code": "44803", "place": "Bochum"},
        "Fulda": {"street": "A", "house_number": "1", "postal_code": "36037", "place": "Fulda"},
        "61343 confirmed": {"street": "A", "house_number": "1", "postal_code": "61343",
                            "place": "Bad Homburg", types.PLZ_CONFIRMED: "61343"},
    }
    results["address_check"] = {}
    for name, value in addresses.items():
        cold = timed_ms(lambda v=value: types.clean_address({}, v), 300,
                        before=types.forget_places)
        warm = timed_ms(lambda v=value: types.clean_address({}, v), 300)
        results["address_check"][name] = {"cold": cold, "warm": warm}
        print(f"address {name:18} cold {cold['median_ms']:.3f} ms, warm "
              f"{warm['median_ms']:.3f} ms")

    GermanPostalCode.objects.all().delete()
    start = time.perf_counter()
    rows = import_german_postal_codes()
    first = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    import_german_postal_codes()
    again = (time.perf_counter() - start) * 1000
    results["import_german_plz"] = {"rows": rows, "empty_table_ms": round(first, 1),
                                    "again_ms": round(again, 1)}
    print(f"import plz_deutschland.csv: {rows} rows, {first:.0f} ms into an empty table, "
          f"{again:.0f} ms again")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest-places.json").write_text(json.dumps(results, indent=2,
                                                           ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
