import re
import threading
from datetime import UTC, datetime

import pytest

from amtsweg.documents.examples import receipt_data
from amtsweg.documents.render import (
    DocumentError,
    DocumentTemplate,
    TemplateNotFound,
    get_template,
    render_pdf,
    templates,
)

from .pdftext import page_texts, pdf_text


def test_receipt_is_a_pdf_with_extractable_text():
    pdf = render_pdf("receipt", receipt_data())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    text = pdf_text(pdf)
    assert "AW-2026-000123-X7" in text
    assert "Erika" in text and "Mustermann" in text  # answer values
    assert "Antwort 30" in text
    assert "Eingangsbestätigung" in text
    assert "Geburtsurkunde beantragen" in text
    assert "nachweis-3.pdf" in text and "12,00 EUR" in text
    assert re.search(r"Seite 1 von \d", text)


def test_tagged_accessible_pdf_with_title_and_language():
    pdf = render_pdf("receipt", receipt_data())
    assert b"/StructTreeRoot" in pdf and b"/MarkInfo" in pdf
    assert b"pdfuaid:part" in pdf  # declares PDF/UA-1
    assert b"/Lang(de)" in pdf
    title = "Eingangsbestätigung".encode("utf-16-be").hex().upper()
    assert f"/Title<FEFF{title}>".encode() in pdf


def test_english_labels_and_language():
    data = receipt_data()
    data["title"] = "Acknowledgement of receipt"
    data["labels"] = {**data["labels"], "receipt_number": "Receipt number",
                      "page_of": "Page {page} of {pages}"}
    pdf = render_pdf("receipt", data, lang="en-gb")
    text = pdf_text(pdf)
    assert "Receipt number" in text and re.search(r"Page 1 of \d", text)
    assert b"/Lang(en-GB)" in pdf


INJECTIONS = [
    '#panic("x")',
    "#import \"/etc/passwd\"",
    '#read("/etc/passwd")',
    "$x^2$",
    "*bold* _em_ `raw`",
    "<script>alert(1)</script>",
    "back\\slash \\",
    "= heading",
    "] #panic(\"y\") [",
    '"); panic("z"); ("',
    "@label <label>",
    "// comment /* x",
    "{{ sys.inputs }}",
]


def test_typst_markup_in_values_is_displayed_not_executed():
    data = receipt_data(rows=3)
    data["sections"][0]["rows"] = [[f"Feld {i}", v] for i, v in enumerate(INJECTIONS)]
    data["sections"][0]["title"] = '#panic("title")'
    data["service"] = "$x$ *Dienst*"
    data["applicant"]["name"] = "#emph[Erika]"
    data["fee"] = "#sys.inputs"
    text = pdf_text(render_pdf("receipt", data))  # must not raise
    for value in [*INJECTIONS, '#panic("title")', "$x$ *Dienst*", "#emph[Erika]",
                  "#sys.inputs"]:
        assert value in text, value
    assert "/etc/passwd" in text and "root:" not in text


def test_unicode_and_newlines():
    data = receipt_data(rows=3)
    data["sections"][0]["rows"].append(["Anmerkung", "Zeile eins\nZeile zwei – Ærø ñ ß Ж"])
    text = pdf_text(render_pdf("receipt", data))
    assert "Zeile eins\nZeile zwei" in text  # a line break, shown as one
    # Cyrillic comes from a fallback font shipped with typst, in a text run of its own
    assert "Zeile zwei – Ærø ñ ß Ж" in text.replace("\n", "")


def test_long_values_wrap_and_stay_complete():
    data = receipt_data(rows=3)
    url = "https://example.org/" + "x" * 300
    prose = "Lorem ipsum dolor sit amet, " * 40
    data["sections"][0]["rows"] += [["Adresse", url], ["Begründung", prose]]
    pages = page_texts(render_pdf("receipt", data))
    text = "".join(pages).replace("\u200b", "").replace("\n", "")
    assert url in text
    assert prose.strip().replace(" ", "") in text.replace(" ", "")
    # the URL is broken across several lines instead of running off the page
    lines = [ln for ln in "\n".join(pages).splitlines() if "xxxxx" in ln]
    assert len(lines) > 3


def test_three_hundred_rows_paginate_with_page_numbers():
    data = receipt_data(rows=300)
    pdf = render_pdf("receipt", data)
    pages = page_texts(pdf)
    n = len(pages)
    assert n > 1
    assert int(re.search(rb"/Type/Pages/Count (\d+)", pdf).group(1)) == n
    assert f"Seite 1 von {n}" in pages[0] and f"Seite {n} von {n}" in pages[-1]
    text = pdf_text(pdf)
    assert all(f"Antwort {i}\n" in text + "\n" for i in range(3, 301))
    # the table header repeats on the following pages
    assert all("Ihre Eingabe" in p for p in pages[1:-1])


def test_optional_parts():
    data = receipt_data(rows=2, attachments=0)
    data["fee"] = None
    del data["processing"]
    del data["labels"]["service"]
    text = pdf_text(render_pdf("receipt", data))
    assert "Keine Anlagen" in text
    assert "Gebührenfrei" in text
    assert "Bearbeitungsdauer" not in text
    assert "\nservice\n" in text  # a missing required label shows its key, no failure


def test_same_data_same_bytes_and_optional_creation_date():
    data = receipt_data()
    first = render_pdf("receipt", data)
    assert render_pdf("receipt", data) == first
    assert b"/CreationDate" not in first
    dated = render_pdf("receipt", data, created=datetime(2026, 11, 30, 14, 3, tzinfo=UTC))
    assert b"/CreationDate(D:20261130140300" in dated


def test_only_fonts_shipped_with_typst():
    pdf = render_pdf("receipt", receipt_data())
    fonts = set(re.findall(rb"/BaseFont/[A-Z]{6}\+([A-Za-z-]+)", pdf))
    assert fonts and all(f.startswith(b"LibertinusSerif") for f in fonts), fonts


def test_unknown_template_is_a_clear_error():
    with pytest.raises(TemplateNotFound, match=r"unknown document template 'bescheid'.*receipt"):
        render_pdf("bescheid", {})
    with pytest.raises(LookupError):
        get_template("../receipt")


def test_registered_template_without_file():
    templates.register(DocumentTemplate("missing-file"))
    try:
        with pytest.raises(TemplateNotFound, match="no file"):
            render_pdf("missing-file", {})
    finally:
        templates.unregister("missing-file")


def test_bad_input_is_a_document_error():
    with pytest.raises(DocumentError, match="language"):
        render_pdf("receipt", receipt_data(), lang="de\n#panic()")
    with pytest.raises(DocumentError, match="JSON"):
        render_pdf("receipt", {"title": object()})
    with pytest.raises(DocumentError, match="receipt"):
        render_pdf("receipt", {"sections": "not a list"})


def test_threads_render_their_own_data():
    results, errors = {}, []

    def work(i: int) -> None:
        try:
            results[i] = pdf_text(render_pdf("receipt", receipt_data(rows=10, number=i)))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i, text in results.items():
        assert f"AW-2026-{i:06d}-X7" in text
        assert sum(f"AW-2026-{j:06d}-X7" in text for j in range(8)) == 1


def test_page_and_of_labels_and_no_table_headers():
    data = receipt_data(rows=3)
    labels = data["labels"]
    for key in ("page_of", "question", "answer", "file", "size", "contact", "phone"):
        del labels[key]
    labels |= {"page": "Page", "of": "of", "platform": "Amtsweg Hessen"}
    text = pdf_text(render_pdf("receipt", data, lang="en"))
    assert "Page 1 of 1" in text
    assert "Amtsweg Hessen" in text
    assert "question" not in text and "file" not in text  # no header row without labels
    assert "0123 456-0" in text and "nachweis-1.pdf" in text
