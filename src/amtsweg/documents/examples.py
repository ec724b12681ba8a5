"""Example data of the document templates: their data shape, for tests, the benchmark and
template designers. The caller builds the same shape from a submission, with `labels` in the
applicant's language."""

RECEIPT_LABELS_DE = {
    "receipt_number": "Vorgangsnummer",
    "submitted_at": "Eingegangen am",
    "service": "Leistung",
    "authority": "Zuständige Stelle",
    "applicant": "Antragsteller:in",
    "email": "E-Mail",
    "question": "Angabe",
    "answer": "Ihre Eingabe",
    "attachments": "Anlagen",
    "no_attachments": "Keine Anlagen",
    "file": "Datei",
    "size": "Größe",
    "fee": "Gebühr",
    "no_fee": "Gebührenfrei",
    "processing": "Bearbeitungsdauer",
    "contact": "Kontakt",
    "phone": "Telefon",
    "page_of": "Seite {page} von {pages}",
}


def receipt_data(rows: int = 30, attachments: int = 3, *, number: int = 123) -> dict:
    """A receipt with `rows` answers in three sections and `attachments` files."""
    per_section = -(-rows // 3) if rows else 0
    sections = []
    for s, title in enumerate(("Angaben zu Ihrer Person", "Anschrift", "Angaben zur Urkunde")):
        start = s * per_section
        answers = [[f"Frage {i + 1}", f"Antwort {i + 1}"]
                   for i in range(start, min(rows, start + per_section))]
        if answers:
            sections.append({"title": title, "rows": answers})
    if sections:
        sections[0]["rows"][:2] = [["Vorname", "Erika"], ["Familienname", "Mustermann"]]
    return {
        "title": "Eingangsbestätigung",
        "service": "Geburtsurkunde beantragen",
        "receipt_number": f"AW-2026-{number:06d}-X7",
        "submitted_at": "30.11.2026, 14:03 Uhr",
        "applicant": {"name": "Erika Mustermann", "email": "erika.mustermann@example.org"},
        "authority": {
            "name": "Standesamt Musterstadt",
            "address": "Rathausplatz 1\n12345 Musterstadt",
            "email": "standesamt@musterstadt.example",
            "phone": "0123 456-0",
        },
        "sections": sections,
        "attachments": [{"name": f"nachweis-{i + 1}.pdf", "size": f"{120 + i} KB"}
                        for i in range(attachments)],
        "fee": "12,00 EUR",
        "processing": "Die Bearbeitung dauert in der Regel fünf Werktage.",
        "labels": dict(RECEIPT_LABELS_DE),
        "footer": "Amtsweg – Ihre Verwaltung online",
    }
