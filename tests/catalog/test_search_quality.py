"""Search quality: what people type, and the Leistung they expect first."""

import pytest

from amtsweg.catalog.search import search

pytestmark = pytest.mark.django_db

FIRST_HIT = [
    # exact names
    ("Geburtsurkunde", "99027002000000"),
    ("Sterbeurkunde", "99101004000000"),
    ("Elterngeld", "99041006000000"),
    ("Feinstaubplakette", "99108007000000"),
    ("Baugenehmigung", "99012008000000"),
    ("PERSONALAUSWEIS", "99008001000000"),
    ("Personenbeförderungsschein", "99084011000000"),
    # several words: the most specific entry
    ("geburtsurkunde ausstellung", "99027002012000"),
    ("Wohngeld beantragen", "99107023017000"),
    ("Personalausweis beantragen", "99008001012000"),
    ("Gewerbe anmelden", "99050012104000"),
    ("Ausweis verloren", "99008001014002"),
    # umlauts and ß typed without them, and with them
    ("Strassenreinigung", "99108028000000"),
    ("strasse", "99108028000000"),
    ("Straßenreinigung", "99108028000000"),
    ("Fuehrungszeugnis", "99049001000000"),
    ("Eheschliessung", "99059001000000"),
    # prefixes, as typed so far
    ("Geburtsurk", "99027002000000"),
    ("Reisepas", "99085001000000"),
    ("Elterng", "99041006000000"),
    # typos
    ("Wohngled", "99107023000000"),
    ("Eheschliesung", "99059001000000"),
    ("Geburtsurkn", "99027002000000"),
    ("Kindergelt", "99041008000000"),
    # everyday words
    ("Perso", "99008001000000"),
    ("Kfz", "99036008000000"),
    ("Kfz zulassen", "99036008007000"),
    ("Führerschein", "99023001000000"),
    ("Fuhrerschein", "99023001000000"),
    ("Hund anmelden", "99102013000000"),
    ("Umweltplakette", "99108007000000"),
    ("Hochzeit", "99059001000000"),
    ("Umzug", "99115005000000"),
    ("Taxi", "99084012000000"),
    ("Krankentransport", "99084008000000"),
    ("Meldebescheinigung", "99115004000000"),
]


@pytest.mark.parametrize(("query", "expected"), FIRST_HIT)
def test_first_hit(query, expected):
    hits = search(query, 5)
    assert hits, f"no result for {query!r}"
    assert hits[0].leika_key == expected, [(h.leika_key, h.name) for h in hits]


def test_wunschkennzeichen_finds_the_online_services():
    keys = [h.leika_key for h in search("Wunschkennzeichen", 3)]
    assert {"99036009072003", "99036009069007"} <= set(keys)


def test_scores_are_ordered_and_bounded():
    hits = search("Reisepass", 20)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


@pytest.mark.parametrize("query", ["", "   ", "xyzzyq", "!!!", "a" * 5000, "ß" * 300])
def test_nonsense_finds_nothing_and_does_not_fail(query):
    assert search(query, 10) == [] or query.startswith("a")


def test_limit_is_respected():
    assert len(search("Ausstellung", 7)) == 7
