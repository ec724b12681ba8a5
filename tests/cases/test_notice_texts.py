"""Notice texts written by designers: the markup and its conversion to blocks of plain text
(never Typst code), placeholder checks, the designer's Bescheid page (roles, other Behörden,
preview), carrying the text over to new drafts and copies, and the issued notice using it."""

import re
import time
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from amtsweg.accounts.models import User
from amtsweg.audit.models import AuditEntry
from amtsweg.cases import actions, notices, noticetext
from amtsweg.cases.models import Notice, NoticeText
from amtsweg.documents.render import render_pdf
from amtsweg.services import actions as service_actions
from amtsweg.services.models import ServiceVersion
from amtsweg.territory.models import Authority
from tests.cases.test_workflow import clerk
from tests.cases.test_workflow import submit as submit_any
from tests.documents.pdftext import pdf_text
from tests.services.staff import client_for, staff

OUTCOMES = ["bewilligt", "teilweise_bewilligt", "abgelehnt"]
SPECIALS = "#$\\[]*_@<>`"


def words(pdf: bytes) -> str:
    """The PDF's text without white space (lines wrap wherever the layout wants)."""
    return re.sub(r"\s+", "", pdf_text(pdf).replace("\ufffd", ""))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def decision_label() -> str:
    """The heading of the standard notice's decision section in German ("Entscheidung" once
    the catalogue is compiled)."""
    with translation.override("de"):
        return translation.gettext("Decision")


def letter(body: str, values: dict | None = None, outcome: str = "bewilligt") -> bytes:
    """A notice with only the written text (the template's other parts left empty)."""
    return render_pdf("notice", {"title": "Bescheid", "labels": {},
                                 "body": noticetext.to_blocks(body, values or {}, outcome)})


# --- the markup ---------------------------------------------------------------------------

def test_paragraphs_headings_lists_bold_and_line_breaks():
    body = ("# Entscheidung\n\nIhr Antrag wird **bewilligt**.\nZweite Zeile\n\n"
            "- erstens\n* zweitens\n\n## Hinweise\nEnde")
    assert noticetext.to_blocks(body, {}, "bewilligt") == [
        {"kind": "heading", "level": 1, "runs": [{"text": "Entscheidung", "bold": False}]},
        {"kind": "par", "runs": [{"text": "Ihr Antrag wird ", "bold": False},
                                 {"text": "bewilligt", "bold": True},
                                 {"text": ".", "bold": False}, {"br": True},
                                 {"text": "Zweite Zeile", "bold": False}]},
        {"kind": "list", "items": [[{"text": "erstens", "bold": False}],
                                   [{"text": "zweitens", "bold": False}]]},
        {"kind": "heading", "level": 2, "runs": [{"text": "Hinweise", "bold": False}]},
        {"kind": "par", "runs": [{"text": "Ende", "bold": False}]},
    ]


def test_typst_special_characters_stay_plain_text():
    line = r'#panic("x") $x^2$ \ [a] *b* _c_ @d <e> `f` #read("/etc/passwd") ###'
    blocks = noticetext.to_blocks(line, {}, None)
    assert blocks == [{"kind": "par", "runs": [{"text": line, "bold": False}]}]
    assert noticetext.to_blocks("#panic()\n-x", {}, None)[0]["kind"] == "par"  # no space
    text = words(letter(line))
    assert squeeze(line) in text and "root:" not in text


def test_placeholder_values_are_inserted_as_text_after_parsing():
    values = {"reasons": "**nicht fett** {{ decision }}\n# keine Überschrift",
              "decision": "Entschieden."}
    blocks = noticetext.to_blocks("**Gründe:** {{ reasons }}", values, None)
    assert blocks == [{"kind": "par", "runs": [
        {"text": "Gründe:", "bold": True},
        {"text": " **nicht fett** {{ decision }}", "bold": False}, {"br": True},
        {"text": "# keine Überschrift", "bold": False}]}]


def test_outcome_blocks_keep_only_the_lines_of_the_outcome():
    body = ("Vorweg.\n\n{{#bewilligt}}\nJa.\n{{/bewilligt}}\n{{ #abgelehnt }}\nNein.\n"
            "{{/abgelehnt}}\n\nZum Schluss.")
    texts = {o: [r.get("text") for b in noticetext.to_blocks(body, {}, o) for r in b["runs"]]
             for o in OUTCOMES}
    assert texts["bewilligt"] == ["Vorweg.", "Ja.", "Zum Schluss."]
    assert texts["abgelehnt"] == ["Vorweg.", "Nein.", "Zum Schluss."]
    assert texts["teilweise_bewilligt"] == ["Vorweg.", "Zum Schluss."]


def test_empty_blocks_are_left_out():
    assert noticetext.to_blocks("{{ fee }}\n\n- {{ fee }}\n\n# {{ fee }}", {"fee": ""},
                                None) == []


def test_check_names_unknown_placeholders_in_one_sentence():
    problems = noticetext.check(
        "{{ case.receipt_number }} {{ answers.vorname }} {{ answers.gibtsnicht }} "
        "{{ foo bar }} {{ answers.gibtsnicht }}", fields={"vorname"}, outcomes=OUTCOMES)
    assert len(problems) == 1
    assert "{{ answers.gibtsnicht }}" in problems[0] and "{{ foo bar }}" in problems[0]
    assert "vorname" not in problems[0]
    assert noticetext.check("".join(f"{{{{ {n} }}}}" for n in noticetext.FIXED),
                            fields=(), outcomes=OUTCOMES) == []


@pytest.mark.parametrize(("body", "expected"), [
    ("{{#genehmigt}}\nx\n{{/genehmigt}}", "no outcome “genehmigt”"),
    ("{{#bewilligt}}\nx", "is not closed"),
    ("{{#bewilligt}}\n{{#abgelehnt}}\n{{/abgelehnt}}\n{{/bewilligt}}", "still open"),
    ("x\n{{/bewilligt}}", "was not opened"),
    ("Nur wenn {{#bewilligt}} hier", "on a line of its own"),
    ("x" * (noticetext.MAX_LENGTH + 1), "longer than"),
])
def test_check_outcome_blocks_and_length(body, expected):
    with translation.override("en"):
        problems = noticetext.check(body, fields=(), outcomes=OUTCOMES)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("body", [
    pytest.param("{{" + " " * 2000 + "x", id="placeholder-2000"),  # 8 s with the former regex
    pytest.param("{{#" + " " * 2000 + "x", id="outcome-2000"),  # 7.6 s
    pytest.param("# a" + " " * 19990 + "x", id="heading"),  # 3 s
    pytest.param("- a" + " " * 19990 + "x", id="bullet"),  # 2.7 s
    pytest.param("{{" + " " * 19990 + "x", id="placeholder"),  # hours
    pytest.param(("{{ " + " " * 300 + "\n") * 60, id="many-lines"),
    pytest.param("{{" * 10000, id="braces"),
])
def test_pathological_lines_take_linear_time(body):
    """Issue 11: no two neighbouring repetitions of the markup regexes match the same
    characters, so a designer's line of spaces costs microseconds, not minutes."""
    started = time.perf_counter()
    noticetext.check(body, fields=(), outcomes=OUTCOMES)
    noticetext.to_blocks(body, {}, "bewilligt")
    assert time.perf_counter() - started < 0.5


def test_white_space_around_names_and_at_line_ends_is_dropped():
    blocks = noticetext.to_blocks("#  Titel \t \n-  Punkt  \n\n{{\tfee  }} Euro", {"fee": "5"},
                                  None)
    assert [b["runs"] if "runs" in b else b["items"] for b in blocks] == [
        [{"text": "Titel", "bold": False}], [[{"text": "Punkt", "bold": False}]],
        [{"text": "5 Euro", "bold": False}]]
    assert noticetext.placeholders("{{  case.receipt_number\t}}") == ["case.receipt_number"]
    assert noticetext.select("{{ # bewilligt }}\nJa\n{{/ bewilligt }}", "bewilligt") == ["Ja"]


def test_an_overlong_text_is_refused_before_it_is_parsed():
    body = "{{ x }}" * (noticetext.MAX_LENGTH // 7 + 1)
    with translation.override("en"):
        assert noticetext.check(body, fields=(), outcomes=OUTCOMES) == [
            f"The text is longer than {noticetext.MAX_LENGTH} characters."]


TEXT = st.text(alphabet=st.sampled_from(
    "abcXYZ019 äöüßÄÖÜ€§.,;:!?'\"()=+-/%&~^|{}" + SPECIALS), min_size=1, max_size=80)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=TEXT)
def test_any_value_is_printed_literally(value):
    """Whatever an applicant typed or a clerk wrote shows up as it is: never evaluated."""
    assume(value.strip())
    pdf = letter("Gründe: {{ reasons }}", {"reasons": value})
    assert squeeze("Gründe: " + value) in words(pdf)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=TEXT)
def test_any_designer_line_without_markup_is_printed_literally(line):
    assume("**" not in line and "{{" not in line and "\n" not in line)
    body = "Text " + line
    assert squeeze(body) in words(letter(body))


# --- checks against the version -------------------------------------------------------------

@pytest.fixture
def designer(standesamt):
    return staff(("designer", standesamt))


@pytest.fixture
def draft_version(adoption, designer):
    return service_actions.new_draft(designer, adoption.service)


@pytest.mark.django_db
def test_placeholders_are_checked_against_the_form_and_the_workflow(draft_version):
    assert actions.notice_text_problems(
        draft_version, "{{ answers.vorname }} {{ answers.zweck }}\n{{#abgelehnt}}\n"
                       "{{ reasons }}\n{{/abgelehnt}}") == []
    problems = actions.notice_text_problems(draft_version, "{{ answers.nachweis }}",
                                            "{{ answer.vorname }}")
    assert [field for field, _m in problems] == ["body_de", "body_en"]
    assert "{{ answers.nachweis }}" in problems[0][1]  # a file field names no value
    assert actions.notice_text_problems(draft_version, "", "English only")[0][0] == "body_de"


# --- the designer's page ------------------------------------------------------------------

def edit_url(version: ServiceVersion) -> str:
    return reverse("notice_text:edit", args=[version.service.slug, version.number])


def preview_url(version: ServiceVersion) -> str:
    return reverse("notice_text:preview", args=[version.service.slug, version.number])


BODY = ("# Ihr Antrag {{ case.receipt_number }}\n\nGuten Tag {{ answers.vorname }}, "
        "Anzahl: {{ answers.anzahl }}.\n\n{{#bewilligt}}\nWir **bewilligen** gern.\n"
        "{{/bewilligt}}\n{{#abgelehnt}}\nLeider abgelehnt: {{ reasons }}\n{{/abgelehnt}}\n\n"
        "- Zweck: {{ answers.zweck }}\n- Gebühr: {{ fee }}")


@pytest.mark.django_db
def test_designer_writes_saves_and_previews(draft_version, designer):
    client = client_for(designer)
    page = client.get(edit_url(draft_version))
    html = page.content.decode()
    assert page.status_code == 200
    assert "{{ answers.vorname }}" in html and "{{ case.receipt_number }}" in html
    assert 'for="id_body_de"' in html and "“notice”" in html
    r = client.post(edit_url(draft_version), {"body_de": BODY, "body_en": "",
                                              "lock_version": "0"})
    assert r.status_code == 302
    text = NoticeText.objects.get(version=draft_version)
    assert text.body_de == BODY and text.lock_version == 1 and text.updated_by == designer
    entry = AuditEntry.objects.get(action="notice_text.saved", object_id=str(text.pk))
    assert entry.actor == f"user:{designer.pk}" and "Ihr Antrag" not in str(entry.data)
    assert BODY.split("\n")[0] in client.get(edit_url(draft_version)).content.decode()

    pdf = client.get(preview_url(draft_version), {"outcome": "bewilligt", "lang": "de"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = words(pdf.content)
    assert squeeze("Guten Tag Erika, Anzahl: 1.") in text  # sample answers from the form
    assert "Wirbewilligengern." in text and "Leiderabgelehnt" not in text
    assert "Zweck:Rente" in text and "Gebühr:12,00EUR" in text
    refused = words(client.get(preview_url(draft_version), {"outcome": "abgelehnt"}).content)
    assert "Leiderabgelehnt" in refused and "Wirbewilligen" not in refused


@pytest.mark.django_db
def test_preview_of_unsaved_text_and_errors_inline(draft_version, designer):
    client = client_for(designer)
    r = client.post(preview_url(draft_version), {"body_de": "Entwurf $x$ #panic()",
                                                 "body_en": "", "outcome": "abgelehnt",
                                                 "lang": "de"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert squeeze("Entwurf $x$ #panic()") in words(r.content)
    assert not NoticeText.objects.filter(version=draft_version).exists()
    r = client.post(preview_url(draft_version), {"body_de": "Hallo {{ answers.gibtsnicht }}",
                                                 "outcome": "bewilligt", "lang": "de"})
    html = r.content.decode()
    assert r.status_code == 400 and "Unknown placeholders: {{ answers.gibtsnicht }}" in html
    assert 'id="id_body_de-error"' in html and "Hallo {{ answers.gibtsnicht }}" in html


@pytest.mark.django_db
def test_unknown_placeholder_is_refused_at_save(draft_version, designer):
    client = client_for(designer)
    r = client.post(edit_url(draft_version), {"body_de": "{{ answers.vornahme }}",
                                              "lock_version": "0"})
    assert r.status_code == 400
    assert "Unknown placeholders: {{ answers.vornahme }}." in r.content.decode()
    assert not NoticeText.objects.filter(version=draft_version).exists()


@pytest.mark.django_db
def test_a_stale_page_is_a_conflict(draft_version, designer):
    client = client_for(designer)
    assert client.post(edit_url(draft_version), {"body_de": "Eins",
                                                 "lock_version": "0"}).status_code == 302
    r = client.post(edit_url(draft_version), {"body_de": "Zwei", "lock_version": "0"})
    assert r.status_code == 409 and "Someone else saved" in r.content.decode()
    assert NoticeText.objects.get(version=draft_version).body_de == "Eins"


@pytest.mark.django_db
def test_published_versions_are_frozen(adoption, designer):
    version = adoption.version
    client = client_for(designer)
    r = client.post(edit_url(version), {"body_de": "Neu", "lock_version": "0"})
    assert r.status_code == 400 and "cannot be changed" in r.content.decode()
    assert not NoticeText.objects.filter(version=version).exists()
    with pytest.raises(actions.CaseError):
        actions.save_notice_text(designer, version, body_de="Neu")
    page = client.get(edit_url(version)).content.decode()
    assert "Save notice text" not in page and "Start a new draft" in page
    # the preview of a frozen version shows the registered template
    pdf = client.get(preview_url(version))
    assert pdf.status_code == 200 and decision_label() in pdf_text(pdf.content)


@pytest.mark.django_db
def test_new_draft_and_copy_carry_the_text_over(adoption, designer, standesamt):
    draft = service_actions.new_draft(designer, adoption.service)
    actions.save_notice_text(designer, draft, body_de="Text {{ answers.vorname }}",
                             body_en="Text in English")
    service_actions.publish(designer, draft)
    following = service_actions.new_draft(designer, adoption.service)
    assert following.notice_text.body_de == "Text {{ answers.vorname }}"
    assert following.notice_text.body_en == "Text in English"
    actions.save_notice_text(designer, following, body_de="Geändert", lock_version=0)
    draft.refresh_from_db()
    assert draft.notice_text.body_de == "Text {{ answers.vorname }}"  # the published one stays
    copy = service_actions.copy_service(designer, adoption.service, standesamt)
    assert copy.versions.get().notice_text.body_de == "Text {{ answers.vorname }}"


@pytest.mark.django_db
def test_publishing_is_refused_when_the_text_names_a_removed_field(draft_version, designer):
    actions.save_notice_text(designer, draft_version, body_de="{{ answers.zweck_text }}")
    form = draft_version.form
    form["steps"][0]["items"] = [i for i in form["steps"][0]["items"]
                                 if i["key"] != "zweck_text"]
    service_actions.save_version(designer, draft_version, {"form": form})
    with pytest.raises(service_actions.ServiceError) as exc:
        service_actions.publish(designer, draft_version)
    assert exc.value.problems[0].path == "notice_text"
    assert "{{ answers.zweck_text }}" in exc.value.problems[0].message
    page = client_for(designer).get(edit_url(draft_version)).content.decode()
    assert "no longer fits the form" in page


# --- access: designers of the owner only; another Behörde's version is a 404 ----------------

def test_every_route_is_in_the_matrix():
    from amtsweg.cases import design_urls

    assert {p.name for p in design_urls.urlpatterns} == {"edit", "preview"}


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["edit", "preview"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_access_matrix(route, method, draft_version, standesamt):
    url = reverse(f"notice_text:{route}", args=[draft_version.service.slug,
                                                draft_version.number])
    data = {"body_de": "Versuch", "lock_version": "0", "outcome": "bewilligt", "lang": "de"}

    def call(client):
        return client.post(url, data) if method == "post" else client.get(url)

    other = Authority.objects.filter(is_demo=True).exclude(pk=standesamt.pk).order_by(
        "pk").first()
    assert call(client_for(staff(("designer", other)))).status_code == 404
    assert call(client_for(staff(("clerk", standesamt), ("admin", standesamt)))).status_code \
        == 403
    citizen = Client()
    citizen.force_login(User.objects.create_user(f"b{uuid.uuid4().hex[:6]}@example.org",
                                                 "Sehr-geheim-2026"))
    assert call(citizen).status_code == 403
    assert call(Client()).status_code == 302
    assert not NoticeText.objects.exists()
    own = call(client_for(staff(("designer", standesamt)))).status_code
    assert own == (302 if (route, method) == ("edit", "post") else 200)


# --- the notice the clerk previews and issues ---------------------------------------------

def submit(adoption):
    """An application sent from the German pages (a submission keeps the page language)."""
    with translation.override("de"):
        return submit_any(adoption)


@pytest.mark.django_db
def test_the_issued_notice_uses_the_text(adoption, designer, standesamt):
    draft = service_actions.new_draft(designer, adoption.service)
    actions.save_notice_text(designer, draft, body_de=BODY)
    version = service_actions.publish(designer, draft)
    adoption = service_actions.adopt(None, standesamt, version)
    case = submit(adoption).case
    assert case.version == version
    user = clerk(standesamt)

    client = client_for(user)
    preview = client.get(reverse("cases:notice_preview", args=[case.pk]),
                         {"outcome": "abgelehnt", "note": "Frist versäumt #x"})
    text = words(preview.content)
    assert squeeze("Leider abgelehnt: Frist versäumt #x") in text
    assert "Wirbewilligen" not in text
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'name="outcome"' in detail and 'value="abgelehnt"' in detail

    actions.transition(user, case.pk, "pruefen")
    actions.transition(user, case.pk, "bewilligen", note="Alles da.")
    notice = Notice.objects.get(case=case)
    text = words(notices.read(notice))
    assert squeeze(f"Ihr Antrag {case.receipt_number}") in text
    assert squeeze("Guten Tag Erika, Anzahl: 1.") in text
    assert "Wirbewilligengern." in text and "Leiderabgelehnt" not in text
    assert squeeze(decision_label()) not in text  # the text replaces the standard sections


@pytest.mark.django_db
def test_english_text_for_english_applicants_and_fallback_to_german(adoption, designer,
                                                                  standesamt):
    draft = service_actions.new_draft(designer, adoption.service)
    actions.save_notice_text(designer, draft, body_de="Deutscher Text",
                             body_en="English text")
    version = service_actions.publish(designer, draft)
    case = submit(service_actions.adopt(None, standesamt, version)).case
    assert "DeutscherText" in words(notices.render(case, ""))
    case.submission.lang = "en"
    assert "Englishtext" in words(notices.render(case, ""))
    text = NoticeText.objects.get(version=version)
    assert text.body("en") == "English text"
    text.body_en = ""
    assert text.body("en") == "Deutscher Text"


@pytest.mark.django_db
def test_without_a_text_the_registered_template_is_used(adoption, standesamt):
    case = submit(adoption).case
    text = pdf_text(notices.render(case, "Begründung hier", outcome="abgelehnt"))
    assert decision_label() in text and "abgelehnt" in text and "Begründung hier" in text
