"""Demo Behörden and Zuständigkeiten, invented but realistic in kind.

Every row made here has ``is_demo=True``; names follow real patterns (Standesamt der Gemeinde
X, Zulassungsstelle des Landkreises Y), addresses use the real seat PLZ, while streets, phone
numbers and e-mail addresses (under the reserved domain .example) are invented. See
docs/data-sources.md.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from amtsweg.catalog.models import Leistung
from amtsweg.core.importing import upsert
from amtsweg.core.text import fold

from . import lookup
from .models import Area, Authority, Responsibility

K = Authority.Kind


@dataclass(frozen=True)
class Duty:
    """Which Leistungen (by LeiKa object prefix) an authority kind handles, and how long."""

    prefixes: tuple[str, ...]
    processing: tuple[int, int, str]


DUTIES: dict[str, Duty] = {
    K.STANDESAMT: Duty(("99027002", "99101004", "99059001", "99027001", "99059003",
                        "99001020"), (3, 10, "workday")),
    K.BUERGERBUERO: Duty(("99008001", "99085001", "99115005", "99049001", "99102013",
                          "99110009", "99050012", "99089017"), (1, 21, "day")),
    K.ZULASSUNGSSTELLE: Duty(("99036", "99108007"), (1, 5, "workday")),
    K.FAHRERLAUBNISBEHOERDE: Duty(("99023",), (2, 6, "week")),
    K.WOHNGELDSTELLE: Duty(("99107023",), (4, 8, "week")),
    K.GENEHMIGUNGSBEHOERDE: Duty(("99084008", "99084011", "99084012"), (2, 8, "week")),
    K.ELTERNGELDSTELLE: Duty(("99041006",), (3, 6, "week")),
}

# Kreisstädte: seat of each Landkreis' administration.
KREIS_SEATS = {
    "06431": "Heppenheim", "06432": "Darmstadt", "06433": "Groß-Gerau",
    "06434": "Bad Homburg", "06435": "Gelnhausen", "06436": "Hofheim am Taunus",
    "06437": "Erbach", "06438": "Dietzenbach", "06439": "Bad Schwalbach",
    "06440": "Friedberg (Hessen)", "06531": "Gießen", "06532": "Wetzlar",
    "06533": "Limburg a.d. Lahn", "06534": "Marburg", "06535": "Lauterbach (Hessen)",
    "06631": "Fulda", "06632": "Bad Hersfeld", "06633": "Kassel", "06634": "Homberg (Efze)",
    "06635": "Korbach", "06636": "Eschwege",
}
ELTERNGELD = {  # Hessisches Amt für Versorgung und Soziales, one office per Regierungsbezirk
    "064": ("Darmstadt", "64283", "Schottener Weg", "3"),
    "065": ("Gießen", "35390", "Südanlage", "14a"),
    "066": ("Kassel", "34117", "Frankfurter Straße", "84a"),
}
HOURS_RATHAUS = [{"days": "Mo, Di, Do, Fr", "hours": "08:00–12:00"},
                 {"days": "Do", "hours": "14:00–18:00"}]
HOURS_KREIS = [{"days": "Mo–Fr", "hours": "07:30–12:30"}, {"days": "Do", "hours": "14:00–17:30"}]


def _domain(name: str) -> str:
    return slugify(fold(name.split(",")[0]).replace("(", " ").replace(")", " ")) + ".example"


def _urls(domain: str) -> dict[str, str]:
    return {
        "website": f"https://www.{domain}/",
        "privacy_policy_url": f"https://www.{domain}/datenschutz",
        "imprint_url": f"https://www.{domain}/impressum",
        "accessibility_url": f"https://www.{domain}/barrierefreiheit",
    }


def _kreis_label(kreis: Area) -> tuple[str, str]:
    """('der Stadt Frankfurt am Main', city) or ('des Landkreises Fulda', seat)."""
    if kreis.kreis_type == Area.KreisType.KREISFREIE_STADT:
        return f"der Stadt {kreis.display_name}", kreis.display_name
    if kreis.name.lower().endswith("kreis"):
        article = f"des {kreis.name}es"
    else:
        article = f"des Landkreises {kreis.name}"
    return article, KREIS_SEATS.get(kreis.ags, kreis.display_name)


def _seat_plz(seat_plz: dict[str, str], seat: str) -> str:
    if seat in seat_plz:
        return seat_plz[seat]
    return next((plz for name, plz in seat_plz.items() if name.startswith(seat)), "")


def _authority_rows() -> list[dict]:
    rows: list[dict] = []
    gemeinden = Area.objects.filter(kind=Area.Kind.GEMEINDE, gemeindefrei=False)
    for n, g in enumerate(gemeinden.order_by("ags")):
        town = "Stadt" if "stadt" in g.name.split(",", 1)[-1].lower() else "Gemeinde"
        domain = _domain(g.name)
        base = {"area_id": g.pk, "street": "Rathausplatz", "house_number": str(1 + n % 3),
                "zip": g.seat_plz, "city": g.display_name, "opening_hours": HOURS_RATHAUS,
                **_urls(domain)}
        rows.append({**base, "kind": K.STANDESAMT,
                     "name": f"Standesamt der {town} {g.display_name}",
                     "short_name": f"Standesamt {g.display_name}",
                     "phone": f"+49 6000 {g.ags[2:]}-10", "email": f"standesamt@{domain}",
                     "contact_persons": [{"name": "Team Standesamt",
                                          "tel": f"+49 6000 {g.ags[2:]}-10",
                                          "email": f"standesamt@{domain}"}]})
        rows.append({**base, "kind": K.BUERGERBUERO,
                     "name": f"Bürgerbüro der {town} {g.display_name}",
                     "short_name": f"Bürgerbüro {g.display_name}",
                     "phone": f"+49 6000 {g.ags[2:]}-20", "email": f"buergerbuero@{domain}",
                     "contact_persons": [{"name": "Bürgerbüro", "tel": f"+49 6000 {g.ags[2:]}-20",
                                          "email": f"buergerbuero@{domain}"}]})
    seat_plz = {a.display_name: a.seat_plz for a in gemeinden}
    offices = [
        (K.ZULASSUNGSSTELLE, "Zulassungsstelle", "zulassung"),
        (K.FAHRERLAUBNISBEHOERDE, "Fahrerlaubnisbehörde", "fuehrerschein"),
        (K.WOHNGELDSTELLE, "Wohngeldstelle", "wohngeld"),
        (K.GENEHMIGUNGSBEHOERDE, "Genehmigungsbehörde Personenbeförderung und Krankentransport",
         "personenbefoerderung"),
    ]
    for kreis in Area.objects.filter(kind=Area.Kind.KREIS).order_by("ags"):
        of, seat = _kreis_label(kreis)
        domain = _domain(kreis.name if kreis.kreis_type == "kreisfreie-stadt"
                         else f"kreis-{kreis.name}")
        for kind, title, mailbox in offices:
            rows.append({
                "area_id": kreis.pk, "kind": kind, "name": f"{title} {of}",
                "short_name": f"{title.split()[0]} {kreis.display_name}",
                "street": "Kreishausstraße" if kreis.kreis_type == "landkreis" else "Rathausplatz",
                "house_number": "1", "zip": _seat_plz(seat_plz, seat), "city": seat,
                "phone": f"+49 6000 {kreis.ags[2:]}-{len(rows) % 90 + 10}",
                "email": f"{mailbox}@{domain}", "opening_hours": HOURS_KREIS,
                "contact_persons": [{"name": title, "email": f"{mailbox}@{domain}"}],
                **_urls(domain),
            })
    land = Area.objects.get(kind=Area.Kind.LAND)
    for rb_code, (city, plz, street, no) in ELTERNGELD.items():
        domain = "havs-" + slugify(fold(city)) + ".example"
        rows.append({
            "area_id": land.pk, "kind": K.ELTERNGELDSTELLE,
            "name": f"Hessisches Amt für Versorgung und Soziales {city} – Elterngeldstelle",
            "short_name": f"Elterngeldstelle {city}", "street": street, "house_number": no,
            "zip": plz, "city": city, "phone": f"+49 6000 {rb_code}-300",
            "email": f"elterngeld@{domain}", "opening_hours": HOURS_KREIS,
            "contact_persons": [{"name": "Elterngeldstelle", "email": f"elterngeld@{domain}"}],
            "rb_code": rb_code, **_urls(domain),
        })
    rows.append({
        "area_id": land.pk, "kind": K.MINISTERIUM,
        "name": "Hessisches Ministerium des Innern, für Sicherheit und Heimatschutz – "
                "Förderstelle Interkommunale Zusammenarbeit",
        "short_name": "HMdI – IKZ-Förderstelle", "street": "Friedrich-Ebert-Allee",
        "house_number": "12", "zip": "65185", "city": "Wiesbaden", "phone": "+49 6000 6-100",
        "email": "ikz@hmdi-demo.example", "opening_hours": HOURS_KREIS,
        "contact_persons": [{"name": "Förderstelle IKZ", "email": "ikz@hmdi-demo.example"}],
        **_urls("hmdi-demo.example"),
    })
    return rows


@transaction.atomic
def load_demo_authorities() -> dict[str, int]:
    """Create or update the demo Behörden and their Zuständigkeiten (idempotent)."""
    rows = _authority_rows()
    upsert(Authority, ("area_id", "kind", "name"),
           [{k: v for k, v in r.items() if k != "rb_code"} for r in rows],
           defaults={"is_demo": True})

    leistungen = list(Leistung.objects.values_list("id", "leika_key"))
    by_kind = {
        kind: [pk for pk, key in leistungen if key.startswith(duty.prefixes)]
        for kind, duty in DUTIES.items()
    }
    wanted: dict[tuple[int, int], tuple[Authority, tuple[int, int, str]]] = {}
    for authority in Authority.objects.filter(is_demo=True).select_related("area"):
        duty = DUTIES.get(authority.kind)
        if duty is None:
            continue
        if authority.kind == K.ELTERNGELDSTELLE:
            rb_code = next(r["rb_code"] for r in rows if r["name"] == authority.name)
            areas = [Area.objects.get(ags=rb_code).pk]
        else:
            areas = [authority.area_id]
        for area in areas:
            for leistung in by_kind[authority.kind]:
                wanted[(leistung, area)] = (authority, duty.processing)
    have = {(r.leistung_id, r.area_id): r for r in Responsibility.objects.all()}
    new, moved = [], []
    for (leistung, area), (authority, (pmin, pmax, unit)) in wanted.items():
        current = have.get((leistung, area))
        if current is None:
            new.append(Responsibility(leistung_id=leistung, area_id=area, authority=authority,
                                      processing_min=pmin, processing_max=pmax,
                                      processing_unit=unit, origin="Amtsweg-Demo"))
        elif current.authority_id != authority.pk and current.origin == "Amtsweg-Demo":
            current.authority = authority
            moved.append(current)
    Responsibility.objects.bulk_create(new, batch_size=1000)
    Responsibility.objects.bulk_update(moved, ["authority"], batch_size=1000)
    lookup.changed()
    return {"authorities": Authority.objects.count(),
            "responsibilities": Responsibility.objects.count()}
