import pytest

from amtsweg.catalog.actions import import_catalog
from amtsweg.catalog.models import Lebenslage, Leistung, OzgLeistung, Themenfeld

pytestmark = pytest.mark.django_db


def test_whole_catalogue_is_loaded():
    assert Leistung.objects.count() == 4813
    assert OzgLeistung.objects.count() == 557
    assert Themenfeld.objects.count() == 14
    assert Lebenslage.objects.count() > 40
    geburt = Leistung.objects.get(leika_key="99027002012000")
    assert geburt.name == "Geburtsurkunde Ausstellung"
    assert geburt.ozg.ozg_id == 10557
    assert geburt.ozg.name and geburt.ozg.themenfeld.name
    assert "Euro" in geburt.fee or "EUR" in geburt.fee
    assert all(len(k) == 14 and k.startswith("99")
               for k in Leistung.objects.values_list("leika_key", flat=True))


def test_catalogue_import_is_idempotent():
    stats = import_catalog()
    assert stats["created"] == 0 and stats["updated"] == 0
    assert stats["leistungen"] == 4813


def test_catalogue_import_repairs_and_the_search_sees_it():
    from amtsweg.catalog.search import search

    Leistung.objects.filter(leika_key="99107023000000").update(name="Mietzuschussdings")
    stats = import_catalog()
    assert stats["updated"] == 1
    assert search("Wohngeld", 1)[0].leika_key == "99107023000000"
