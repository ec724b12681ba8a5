"""CSV exports neutralise formulas (issue 11, finding 13): every export writes through
core/csvexport.py, and a test finds csv writers anywhere else."""

import ast
import csv
import io
import pathlib
from decimal import Decimal

import pytest
from django.urls import reverse

from amtsweg.core.csvexport import safe_cell, text
from amtsweg.territory.models import Area
from tests.dashboard.conftest import make_case, months_ago
from tests.services.staff import client_for, staff
from tests.submissions.conftest import make_small_service

EVIL = '=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize(("value", "written"), [
    (EVIL, "'" + EVIL),
    ("+49 661 12345", "'+49 661 12345"),
    ("-1+2", "'-1+2"),
    ("@SUM(A1:A3)", "'@SUM(A1:A3)"),
    ("\t=1+2", "'\t=1+2"),
    ("\r=1+2", "'\r=1+2"),
    ("\n=1+2", "'\n=1+2"),
    ("  =1+2", "'  =1+2"),
    ("-3", "'-3"),  # a number that arrives as text is text
    ("Standesamt Fulda", "Standesamt Fulda"),
    ("a=b", "a=b"),
    (-3, -3), (Decimal("-12.50"), Decimal("-12.50")), (-0.25, -0.25), (0, 0),
    (float("-inf"), "'-inf"),
    (None, ""), (True, "True"),
])
def test_cells_that_could_start_a_formula_are_quoted(value, written):
    assert safe_cell(value) == written


def test_the_header_and_negative_numbers_survive_a_round_trip():
    rows = list(csv.reader(io.StringIO(text(["=title", "delta"], [[EVIL, -4], ["ok", 2.5]]))))
    assert rows == [["'=title", "delta"], ["'" + EVIL, "-4"], ["ok", "2.5"]]


@pytest.mark.django_db
def test_a_designer_controlled_title_in_the_staff_dashboard_export():
    from amtsweg.dashboard import actions
    from amtsweg.territory.models import Authority

    standesamt = Authority.objects.get(area__ags="06635001", kind=Authority.Kind.STANDESAMT)
    adoption = make_small_service(standesamt)
    adoption.service.title = {"de": EVIL, "en": EVIL}
    adoption.service.save()
    make_case(adoption, months_ago(1, 6), due_in=2)
    actions.rollup()
    client = client_for(staff(("clerk", standesamt)))
    url = reverse("dashboard_staff:export", args=[standesamt.pk, "csv"])
    for table in ("services", "overdue", "offers"):
        body = client.get(url, {"table": table}).content.decode()
        cells = [c for row in csv.reader(io.StringIO(body)) for c in row]
        assert "'" + EVIL in cells and EVIL not in cells, table


@pytest.mark.django_db
def test_names_in_the_public_exports():
    from django.test import Client

    Area.objects.filter(ags="06635").update(name="@SUM(1+1)")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    body = client.get("/foerderung/statistik/kreise.csv").content.decode()
    cells = [c for row in csv.reader(io.StringIO(body)) for c in row]
    assert "'@SUM(1+1)" in cells and "@SUM(1+1)" not in cells
    body = client.get("/dashboard/daten.csv", {"table": "kreise"}).content.decode()
    cells = [c for row in csv.reader(io.StringIO(body)) for c in row]
    assert "'@SUM(1+1)" in cells and "@SUM(1+1)" not in cells


WRITERS = {"writer", "DictWriter"}


def test_no_csv_writer_outside_the_helper():
    """A new export that builds its own csv.writer (or a text/csv response by hand) would
    pass formulas through again."""
    src = pathlib.Path(__file__).parents[2] / "src" / "amtsweg"
    helper = src / "core" / "csvexport.py"
    offenders = []
    for path in src.rglob("*.py"):
        if path == helper:
            continue
        source = path.read_text()
        for node in ast.walk(ast.parse(source, str(path))):
            if (isinstance(node, ast.Attribute) and node.attr in WRITERS
                    and ast.unparse(node.value) == "csv"):
                offenders.append(f"{path.relative_to(src)}:{node.lineno} csv.{node.attr}")
            if (isinstance(node, ast.ImportFrom) and node.module == "csv"
                    and {a.name for a in node.names} & WRITERS):
                offenders.append(f"{path.relative_to(src)}:{node.lineno} from csv import")
            if (isinstance(node, ast.keyword) and node.arg == "content_type"
                    and "text/csv" in ast.unparse(node.value)):
                offenders.append(f"{path.relative_to(src)}:{node.lineno} text/csv response")
    assert offenders == []
