"""A small but complete definition used by the form tests."""

import copy

EXAMPLE = {
    "format": "amtsweg.form/1",
    "title": {"de": "Geburtsurkunde beantragen", "en": "Apply for a birth certificate"},
    "fim": {"id": "S60000011", "version": "1.2", "name": "Geburtsurkunde"},
    "steps": [
        {
            "key": "antragsteller",
            "title": {"de": "Angaben zu Ihrer Person", "en": "About you"},
            "items": [
                {"type": "choice", "key": "art", "label": {"de": "Für wen?"},
                 "required": True,
                 "options": [{"value": "selbst", "label": {"de": "für mich", "en": "me"}},
                             {"value": "kind", "label": {"de": "für mein Kind"}}]},
                {"type": "text", "key": "vorname", "label": {"de": "Vorname"},
                 "required": True, "prefill": "given_name"},
                {"type": "text", "key": "familienname", "label": {"de": "Familienname"},
                 "required": True, "prefill": "family_name", "max_length": 50},
                {"type": "date", "key": "geburtsdatum", "label": {"de": "Geburtsdatum"},
                 "required": True, "max": "today"},
                {"type": "choice", "key": "geschlecht", "label": {"de": "Geschlecht"},
                 "codelist": "geschlecht"},
                {"type": "address", "key": "anschrift", "label": {"de": "Anschrift"},
                 "prefill": "address"},
                {"type": "text", "key": "kennzeichen", "label": {"de": "Kennzeichen"},
                 "pattern": "^[A-Z]{1,3}-[A-Z]{1,2} [0-9]{1,4}$",
                 "pattern_message": {"de": "Bitte im Format ABC-XY 123."}},
            ],
        },
        {
            "key": "kinder_schritt",
            "title": {"de": "Kinder", "en": "Children"},
            "visible": {"==": [{"var": "art"}, "kind"]},
            "items": [
                {"type": "group", "key": "kinder", "label": {"de": "Kind"},
                 "repeat": {"min": 1, "max": 3},
                 "items": [
                     {"type": "text", "key": "vorname", "label": {"de": "Vorname des Kindes"},
                      "required": True},
                     {"type": "integer", "key": "alter", "label": {"de": "Alter"},
                      "min": 0, "max": 17},
                     {"type": "boolean", "key": "im_haushalt",
                      "label": {"de": "Lebt im Haushalt"}},
                     {"type": "text", "key": "schule", "label": {"de": "Schule"},
                      "visible": {">=": [{"var": "alter"}, 6]}},
                 ]},
            ],
        },
        {
            "key": "zahlung",
            "title": {"de": "Zahlung", "en": "Payment"},
            "items": [
                {"type": "integer", "key": "anzahl", "label": {"de": "Anzahl Urkunden"},
                 "required": True, "min": 1, "max": 10},
                {"type": "currency", "key": "gebuehr", "label": {"de": "Gebühr"},
                 "compute": {"*": [{"var": "anzahl"}, 12]}},
                {"type": "decimal", "key": "spende", "label": {"de": "Spende"},
                 "max": 5000},
                {"type": "iban", "key": "iban", "label": {"de": "IBAN"},
                 "countries": ["DE", "AT"]},
                {"type": "multichoice", "key": "zwecke", "label": {"de": "Zwecke"},
                 "options": [{"value": "rente", "label": {"de": "Rente"}},
                             {"value": "ehe", "label": {"de": "Eheschließung"}},
                             {"value": "sonst", "label": {"de": "Sonstiges"}}],
                 "max_items": 2},
                {"type": "text", "key": "zweck_sonst", "label": {"de": "Anderer Zweck"},
                 "visible": {"in": ["sonst", {"var": "zwecke"}]}, "required": True},
                {"type": "file", "key": "nachweise", "label": {"de": "Nachweise"},
                 "file": {"types": ["application/pdf"], "max_count": 2}},
                {"type": "info", "key": "hinweis", "text": {"de": "Bitte prüfen."}},
                {"type": "boolean", "key": "richtig", "label": {"de": "Angaben sind richtig"},
                 "required": True,
                 "validations": [{"rule": {"!!": [{"var": "vorname"}]},
                                  "message": {"de": "Vorname fehlt.", "en": "Name missing."}}]},
            ],
        },
    ],
    "notes": [{"source": "FIM R60000037", "text": "Beispiel"}],
}


def example() -> dict:
    return copy.deepcopy(EXAMPLE)
