"""Patterns of published forms on the applicant's side (issue 11, finding 1): a pattern that
backtracks catastrophically on Python's re costs nothing, a stored pattern that RE2 cannot run
is skipped with a log line instead of blocking the form."""

import logging
import time

import pytest
from django.urls import reverse

from amtsweg.catalog.models import Leistung
from amtsweg.forms import schema
from amtsweg.services import actions as service_actions
from amtsweg.services.models import Adoption

from .test_apply import start_as_guest, step_url

pytestmark = pytest.mark.django_db


def form_with(patterns: dict[str, str]) -> dict:
    items = [{"type": "text", "key": key, "label": {"de": key, "en": key}, "pattern": pattern,
              "pattern_message": {"de": "Falsches Format", "en": "Wrong format"}}
             for key, pattern in patterns.items()]
    return {"format": "amtsweg.form/1", "title": {"de": "Muster", "en": "Patterns"},
            "steps": [{"key": "angaben", "title": {"de": "Angaben"}, "items": items}]}


def publish(standesamt, form: dict) -> Adoption:
    service = service_actions.create_service(
        None, leistung=Leistung.objects.get(leika_key="99027002012000"),
        title={"de": "Muster", "en": "Patterns"}, owner_authority=standesamt,
        version={"form": form, "applicants": ["person", "guest"]})
    version = service_actions.publish(None, service.versions.get())
    Adoption.objects.filter(authority=standesamt,
                            service__leistung__leika_key="99027002012000").delete()
    return service_actions.adopt(None, standesamt, version, {"fee": None})


def timed_post(client, url, data) -> tuple[object, float]:
    started = time.perf_counter()
    response = client.post(url, data)
    return response, time.perf_counter() - started


def test_the_pattern_of_issue_11_costs_no_time(client, standesamt):
    """(a{1,30}){1,30} passed the former safety check; on Python's re the answer below
    took 2.5 s (each two more letters four times as long, ~20 s per submission)."""
    adoption = publish(standesamt, form_with({"kennung": "(a{1,30}){1,30}"}))
    draft, _ = start_as_guest(client, adoption)
    response, seconds = timed_post(client, step_url(draft, "angaben"),
                                   {"kennung": "a" * 26 + "!", "_action": "next"})
    assert response.status_code == 400 and "Falsches Format" in response.content.decode()
    assert seconds < 0.5
    response = client.post(step_url(draft, "angaben"), {"kennung": "a" * 40,
                                                        "_action": "next"})
    assert response.status_code == 302


def test_classic_backtracking_patterns_are_published_and_answer_at_once(client, standesamt):
    """Refused by the former heuristic, harmless on RE2: published and matched fast with
    answers of the field's full length."""
    adoption = publish(standesamt, form_with({
        "eins": "(a{1,30}){1,30}", "zwei": "(a+)+$", "drei": "(a|aa)+$",
        "vier": r"^(\w+\s?)+$"}))
    draft, _ = start_as_guest(client, adoption)
    bad = {"eins": "a" * 199 + "!", "zwei": "a" * 199 + "!", "drei": "a" * 199 + "!",
           "vier": "Wort " * 39 + "!"}
    client.post(step_url(draft, "angaben"), {**bad, "_action": "next"})  # warm-up
    response, seconds = timed_post(client, step_url(draft, "angaben"),
                                   {**bad, "_action": "next"})
    assert response.status_code == 400
    page = response.content.decode()
    assert all(f'href="#f-{key}"' in page for key in bad)
    assert seconds < 0.5
    good = {"eins": "a" * 200, "zwei": "a" * 200, "drei": "a" * 200, "vier": "Ein Wort"}
    assert client.post(step_url(draft, "angaben"),
                       {**good, "_action": "next"}).status_code == 302


def test_a_stored_pattern_re2_cannot_run_is_skipped_and_logged(client, standesamt, caplog,
                                                               monkeypatch):
    """A version published while Python's re judged patterns may hold a backreference.
    Its field keeps working without the pattern; the log names the pattern."""
    monkeypatch.setattr(schema, "_check_pattern", lambda pattern, *budget: None)  # the former check
    adoption = publish(standesamt, form_with({"doppelt": r"^(\d)\1$", "plz": r"^\d{5}$"}))
    monkeypatch.undo()
    caplog.set_level(logging.WARNING, logger="amtsweg.core.patterns")
    draft, _ = start_as_guest(client, adoption)
    response = client.post(step_url(draft, "angaben"), {"doppelt": "12", "plz": "3603",
                                                        "_action": "next"})
    assert response.status_code == 400  # the other pattern still applies
    page = response.content.decode()
    assert 'href="#f-plz"' in page and 'href="#f-doppelt"' not in page
    assert client.post(step_url(draft, "angaben"), {"doppelt": "12", "plz": "36037",
                                                    "_action": "next"}).status_code == 302
    assert any(repr(r"^(\d)\1$") in r.getMessage() for r in caplog.records)
    # a new draft copied from it cannot be saved or published until the pattern is changed
    problems = service_actions.check_version(service_actions._payload(adoption.version))
    assert [p.path for p in problems] == ["form.steps[0].items[0].pattern"]


def test_rendered_fields_carry_no_html_pattern(client, standesamt):
    """The browser's regex dialect differs from RE2; the server alone judges patterns."""
    adoption = publish(standesamt, form_with({"kennung": "^[A-Z]{2}[0-9]{3}$"}))
    draft, _ = start_as_guest(client, adoption)
    page = client.get(reverse("submissions:step", args=[draft.pk, "angaben"]))
    html = page.content.decode()
    assert 'name="kennung"' in html and " pattern=" not in html
