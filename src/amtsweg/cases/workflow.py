"""Workflows as data: states and transitions per service version, with the roles that may
take a transition and guards and effects referenced by name (implemented in Python and
registered here). A version without its own workflow uses DEFAULT."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from amtsweg.core.registry import Registry


def t(de: str, en: str) -> dict:
    return {"de": de, "en": en}


STAFF = ["clerk", "lead"]
DEFAULT = {
    "initial": "eingegangen",
    "states": {
        "eingegangen": {"label": t("Eingegangen", "Received")},
        "in_pruefung": {"label": t("In Prüfung", "Under review")},
        "nachforderung": {"label": t("Unterlagen nachgefordert", "Documents requested")},
        "entschieden": {"label": t("Entschieden", "Decided")},
        "abgeschlossen": {"label": t("Abgeschlossen", "Closed"), "final": True},
        "zurueckgezogen": {"label": t("Zurückgezogen", "Withdrawn"), "final": True},
    },
    "outcomes": {
        "bewilligt": t("bewilligt", "approved"),
        "teilweise_bewilligt": t("teilweise bewilligt", "partly approved"),
        "abgelehnt": t("abgelehnt", "refused"),
    },
    "transitions": [
        {"key": "pruefen", "from": ["eingegangen"], "to": "in_pruefung",
         "label": t("Prüfung beginnen", "Start review"), "roles": STAFF},
        {"key": "nachfordern", "from": ["in_pruefung"], "to": "nachforderung",
         "label": t("Unterlagen nachfordern", "Request documents"), "roles": STAFF,
         "guards": ["note_given"], "effects": ["notify_applicant"]},
        {"key": "nachforderung_erledigt", "from": ["nachforderung"], "to": "in_pruefung",
         "label": t("Nachforderung erledigt", "Request answered"),
         "roles": [*STAFF, "applicant"]},
        {"key": "bewilligen", "from": ["in_pruefung"], "to": "entschieden",
         "outcome": "bewilligt", "label": t("Bewilligen", "Approve"), "roles": STAFF,
         "effects": ["issue_notice"]},
        {"key": "teilweise_bewilligen", "from": ["in_pruefung"], "to": "entschieden",
         "outcome": "teilweise_bewilligt",
         "label": t("Teilweise bewilligen", "Approve in part"), "roles": STAFF,
         "guards": ["note_given"], "effects": ["issue_notice"]},
        {"key": "ablehnen", "from": ["in_pruefung"], "to": "entschieden",
         "outcome": "abgelehnt", "label": t("Ablehnen", "Refuse"), "roles": STAFF,
         "guards": ["note_given"], "effects": ["issue_notice"]},
        {"key": "abschliessen", "from": ["entschieden"], "to": "abgeschlossen",
         "label": t("Abschließen", "Close"), "roles": STAFF, "effects": ["close"]},
        {"key": "zurueckziehen", "from": ["eingegangen", "in_pruefung", "nachforderung"],
         "to": "zurueckgezogen", "label": t("Antrag zurückziehen", "Withdraw application"),
         "roles": ["applicant"], "effects": ["close"]},
    ],
}


@dataclass(frozen=True)
class Step:
    """What a guard and an effect get to see."""

    case: object
    transition: dict
    actor: object
    note: str


@dataclass(frozen=True)
class Guard:
    key: str
    check: Callable[[Step], str | None]  # a sentence when the transition must not happen

    def is_enabled(self) -> bool:
        return True


@dataclass(frozen=True)
class Effect:
    key: str
    run: Callable[[Step], None]
    # True when the effect issues the Bescheid into the applicant's Postfach (the OZG
    # maturity level 3 asks for that; see dashboard.maturity)
    issues_notice: bool = False

    def is_enabled(self) -> bool:
        return True


guards: Registry[Guard] = Registry("workflow guards")
effects: Registry[Effect] = Registry("workflow effects")

guards.register(Guard("note_given", lambda step: None if step.note.strip() else _(
    "Write a short reason: the applicant reads it.")))


def of(version) -> dict:
    return version.workflow or DEFAULT


def transition(workflow: dict, key: str) -> dict | None:
    return next((tr for tr in workflow["transitions"] if tr["key"] == key), None)


def available(workflow: dict, state: str, role: str | None = None) -> list[dict]:
    return [tr for tr in workflow["transitions"] if state in tr["from"]
            and (role is None or role in tr.get("roles", []))]


def state_label(workflow: dict, state: str, lang: str = "de") -> str:
    label = workflow["states"].get(state, {}).get("label", {})
    return label.get(lang) or label.get("de") or state


def check(workflow: object) -> list[str]:
    """Problems of a workflow definition (states, transitions, roles, guards, effects)."""
    if not isinstance(workflow, dict):
        return [_("A workflow is an object with states and transitions.")]
    states = workflow.get("states") or {}
    problems = []
    if workflow.get("initial") not in states:
        problems.append(_("The initial state is not one of the states."))
    keys = set()
    for i, tr in enumerate(workflow.get("transitions") or []):
        where = f"transitions[{i}]"
        if tr.get("key") in keys:
            problems.append(f"{where}: " + _("the key is used twice."))
        keys.add(tr.get("key"))
        if tr.get("to") not in states or not set(tr.get("from") or []) <= set(states):
            problems.append(f"{where}: " + _("names a state that does not exist."))
        if not set(tr.get("roles") or []) <= {"clerk", "lead", "admin", "applicant"}:
            problems.append(f"{where}: " + _("names an unknown role."))
        for name in tr.get("guards", []):
            if guards.get(name) is None:
                problems.append(f"{where}: " + _("unknown guard %(name)s.") % {"name": name})
        for name in tr.get("effects", []):
            if effects.get(name) is None:
                problems.append(f"{where}: " + _("unknown effect %(name)s.") % {"name": name})
    return problems
