"""Back-office work on cases: open a case for a submission (from the outbox), change its
state along the workflow, assign it, write internal notes. Every change is checked against
the person's staff roles at the case's Behörde, detects concurrent edits (lock_version), and
writes its audit entry in the same transaction."""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amtsweg.accounts.models import StaffRole, User
from amtsweg.audit import actions as audit
from amtsweg.core import crypto, tenantcrypto
from amtsweg.core.text import fold
from amtsweg.submissions.models import Submission

from . import workflow
from .models import Case, CaseEvent, SearchToken

CASE_ROLES = (StaffRole.Role.CLERK, StaffRole.Role.LEAD, StaffRole.Role.ADMIN)


class CaseError(Exception):
    """A refused change, as a sentence for the person; nothing was changed."""


class Conflict(CaseError):
    pass


# --- who may see what -----------------------------------------------------------------------

def case_authorities(user: User) -> set[int] | None:
    """The Behörden whose cases `user` may see (None: all, for the Landesadmin)."""
    if user.is_superuser:
        return None
    return set(StaffRole.objects.filter(user=user, role__in=CASE_ROLES)
               .values_list("authority_id", flat=True))


def visible_cases(user: User) -> QuerySet[Case]:
    allowed = case_authorities(user)
    cases = Case.objects.all()
    return cases if allowed is None else cases.filter(authority_id__in=allowed)


def roles_at(user: User, authority_id: int) -> set[str]:
    roles = set(StaffRole.objects.filter(user=user, authority_id=authority_id)
                .values_list("role", flat=True))
    if user.is_superuser:
        roles |= {"clerk", "lead", "admin"}
    return roles


# --- blind index ----------------------------------------------------------------------------

def _index_key(tenant: str, master: bytes | None = None) -> bytes:
    """Derived from the master key (FIELD_ENCRYPTION_KEY): a new master key gives new tokens,
    so `rotate_keys --rewrap` recomputes them (`reindex_names`, docs/security.md)."""
    return hmac.new(master or crypto._key(), b"blind-index:" + tenant.encode(),
                    hashlib.sha256).digest()


def _words(text: str) -> set[str]:
    return {w for w in fold(text).replace("-", " ").split() if len(w) >= 2}


def name_tokens(tenant: str, text: str, master: bytes | None = None) -> list[str]:
    """Keyed hashes of the folded words (2+ letters) of a name; equal words give equal tokens
    within one Behörde, and nothing about the word is readable from the token."""
    key = _index_key(tenant, master)
    return sorted(hmac.new(key, w.encode(), hashlib.sha256).hexdigest()[:32]
                  for w in _words(text))


def search_tokens(tenant: str, word: str) -> list[str]:
    """The tokens one typed word may have been stored as: under the current master key and,
    while a master key is being rotated, under the old ones still listed in
    FIELD_ENCRYPTION_OLD_KEYS. Each case holds the tokens of one key only (reindexing
    replaces a case's tokens in one transaction), so a match still counts one token per word."""
    return [t for master in crypto.master_keys().values()
            for t in name_tokens(tenant, word, master)]


def index_text(content: dict) -> str:
    """What the blind index holds of a submission: the applicant's and organisation's name."""
    return " ".join(filter(None, (content.get("applicant"), content.get("organisation"))))


# --- opening a case (outbox task) -------------------------------------------------------------

def on_submission_received(sender, submission_id: str, **kwargs) -> None:
    open_case(submission_id)


def due_days() -> int:
    return int(getattr(settings, "CASE_DUE_DAYS", 14))


def open_case(submission_id) -> Case:
    """The case of a submission; opened once, however often this runs (at least once
    delivery from the outbox: a case per submission, whatever happens)."""
    with transaction.atomic():
        existing = Case.objects.filter(submission_id=submission_id).first()
        if existing is not None:
            return existing
        submission = Submission.objects.select_related("version").get(pk=submission_id)
        flow = workflow.of(submission.version)
        case, created = Case.objects.get_or_create(submission=submission, defaults={
            "authority_id": submission.authority_id, "version_id": submission.version_id,
            "receipt_number": submission.receipt_number, "state": flow["initial"],
            "received_at": submission.submitted_at,
            "due_at": submission.submitted_at + timedelta(days=due_days())})
        if not created:
            return case
        content = submission.content
        tenant = submission.tenant
        SearchToken.objects.bulk_create(
            SearchToken(case=case, token=token)
            for token in name_tokens(tenant, index_text(content)))
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.OPENED, to_state=case.state)
        audit.record(tenant=tenant, actor="worker", action="case.opened", obj=case,
                     data={"submission": str(submission.pk), "state": case.state})
    return case


# --- changes by staff and applicants ----------------------------------------------------------

def _locked(case_id: int, lock_version: int | None) -> Case:
    case = (Case.objects.select_for_update(of=("self",)).select_related("version", "submission")
            .get(pk=case_id))
    if lock_version is not None and case.lock_version != lock_version:
        raise Conflict(_("Someone else changed this case in the meantime. Reload the page to "
                         "see the current state."))
    return case


def _tenant(case: Case) -> str:
    return tenantcrypto.tenant_of_authority(case.authority_id)


def _seal_note(case: Case, text: str) -> bytes:
    return tenantcrypto.seal(_tenant(case), text.encode(), f"case-note:{case.pk}") if text else b""


def note_text(event: CaseEvent) -> str:
    if not event.text:
        return ""
    return tenantcrypto.open_(tenantcrypto.tenant_of_authority(event.case.authority_id),
                              bytes(event.text), f"case-note:{event.case_id}").decode()


def applicant_timeline(case: Case, flow: dict, lang: str) -> list[dict]:
    """The case's history as the applicant sees it: opening and state changes with the notes
    written for the applicant (a Nachforderung's request, the applicant's answer), not the
    internal notes."""
    rows = []
    for event in case.events.filter(kind__in=[CaseEvent.Kind.OPENED,
                                              CaseEvent.Kind.TRANSITION]):
        rows.append({"at": event.at, "state": workflow.state_label(flow, event.to_state, lang),
                     # notes of a transition are written for the applicant (they are sent)
                     "note": note_text(event) if event.kind == "transition" else ""})
    return rows


def transition(actor: User | None, case_id: int, key: str, *,
               lock_version: int | None = None, note: str = "", as_applicant: bool = False,
               api_client=None) -> Case:
    """Take the transition `key`. Staff need one of its roles at the case's Behörde; the
    applicant (as_applicant, checked by the caller) may take transitions open to
    "applicant". An API client (`api.models.ApiClient`, actor None) acts as a clerk of its
    own Behörde only. Guards refuse with a sentence; effects run in the same transaction."""
    note = note.strip()[:5000]
    with transaction.atomic():
        case = _locked(case_id, lock_version)
        flow = workflow.of(case.version)
        tr = workflow.transition(flow, key)
        if tr is None or case.state not in tr["from"]:
            raise CaseError(_("This step is not possible in the current state."))
        if api_client is not None:
            allowed = {"clerk"} if api_client.authority_id == case.authority_id else set()
        else:
            allowed = {"applicant"} if as_applicant else roles_at(actor, case.authority_id)
        if not allowed & set(tr.get("roles", [])):
            raise PermissionError(_("You may not take this step."))
        step = workflow.Step(case=case, transition=tr, actor=actor, note=note)
        for name in tr.get("guards", []):
            if problem := workflow.guards.get(name).check(step):
                raise CaseError(problem)
        before = case.state
        case.state = tr["to"]
        case.outcome = tr.get("outcome", case.outcome)
        case.lock_version = F("lock_version") + 1
        case.save(update_fields=["state", "outcome", "lock_version", "updated_at"])
        case.refresh_from_db(fields=["lock_version"])
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.TRANSITION,
                                 actor=actor if actor and actor.is_authenticated else None,
                                 from_state=before, to_state=case.state,
                                 text=_seal_note(case, note))
        audit.record(tenant=_tenant(case),
                     actor=(f"api:{api_client.pk}" if api_client is not None
                            else "applicant" if as_applicant else audit.actor_of(actor)),
                     action="case.transition", obj=case,
                     data={"transition": key, "from": before, "to": case.state,
                           "outcome": case.outcome})
        for name in tr.get("effects", []):
            workflow.effects.get(name).run(step)
    return case


def assign(actor: User, case_id: int, assignee: User | None, *,
           lock_version: int | None = None) -> Case:
    with transaction.atomic():
        case = _locked(case_id, lock_version)
        if not roles_at(actor, case.authority_id) & {"clerk", "lead"}:
            raise PermissionError(_("You may not take this step."))
        if assignee is not None and not roles_at(assignee, case.authority_id) & {
                "clerk", "lead"}:
            raise CaseError(_("Cases can only be assigned to clerks of this authority."))
        case.assignee = assignee
        case.lock_version = F("lock_version") + 1
        case.save(update_fields=["assignee", "lock_version", "updated_at"])
        case.refresh_from_db(fields=["lock_version"])
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.ASSIGNED, actor=actor)
        audit.record(tenant=_tenant(case), actor=audit.actor_of(actor), action="case.assigned",
                     obj=case, data={"assignee": assignee.pk if assignee else None})
    return case


def add_note(actor: User, case_id: int, text: str) -> CaseEvent:
    text = text.strip()[:5000]
    if not text:
        raise CaseError(_("The note is empty."))
    with transaction.atomic():
        case = _locked(case_id, None)
        if not roles_at(actor, case.authority_id) & {"clerk", "lead"}:
            raise PermissionError(_("You may not take this step."))
        event = CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.NOTE, actor=actor,
                                         text=_seal_note(case, text))
        audit.record(tenant=_tenant(case), actor=audit.actor_of(actor), action="case.note",
                     obj=case, data={"event": event.pk})
    return event


# --- effects ----------------------------------------------------------------------------------

def _notify_applicant(step: workflow.Step) -> None:
    """Tell the applicant about the new state: a Postfach message for an account, an e-mail
    for a guest; the clerk's note is part of it."""
    from amtsweg.core.mail import queue_email
    from amtsweg.mailbox.actions import deliver

    case = step.case
    submission = case.submission
    flow = workflow.of(case.version)
    state = workflow.state_label(flow, case.state, submission.lang)
    outcome = flow.get("outcomes", {}).get(case.outcome, {}).get(submission.lang, "")
    with translation.override(submission.lang):
        subject = _("Your application %(number)s: %(state)s") % {
            "number": case.receipt_number, "state": f"{state} ({outcome})" if outcome else state}
    body = step.note or subject
    if submission.user_id:
        deliver(account=submission.user, authority=case.authority, subject=subject[:200],
                body=body, trust_level=submission.trust_level)
    elif email := submission.content.get("email"):
        queue_email(email, subject, body)


def _close(step: workflow.Step) -> None:
    Case.objects.filter(pk=step.case.pk).update(closed_at=timezone.now())


workflow.effects.register(workflow.Effect("notify_applicant", _notify_applicant))
workflow.effects.register(workflow.Effect("close", _close))


# --- notice texts (written by designers) ------------------------------------------------------

def notice_text_problems(version, body_de: str, body_en: str = "") -> list[tuple[str, str]]:
    """(field, sentence) for everything that keeps a notice text from being saved: unknown
    placeholders (naming them), outcome blocks of outcomes the version's workflow does not
    have, an English text without a German one."""
    from amtsweg.submissions.actions import form_of

    from . import noticetext

    fields = noticetext.answer_fields(form_of(version))
    outcomes = list(workflow.of(version).get("outcomes", {}))
    problems = [(name, message) for name, body in (("body_de", body_de), ("body_en", body_en))
                for message in noticetext.check(body, fields=fields, outcomes=outcomes)]
    if body_en.strip() and not body_de.strip():
        problems.append(("body_de", _("Write the German text first; the English one is "
                                      "optional.")))
    return problems


class NoticeTextError(CaseError):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__(" ".join(message for _field, message in problems))


def _clean_body(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip("\n")


def save_notice_text(actor: User, version, *, body_de: str, body_en: str = "",
                     lock_version: int | None = None):
    """Save the notice text of a draft version (an empty German text: the registered
    template is used again). Designers of the service's owner only; published versions are
    frozen; a concurrent save is refused like in the form editor."""
    from amtsweg.services.actions import can_design
    from amtsweg.services.models import ServiceVersion

    from .models import NoticeText

    if not can_design(actor, version.service):
        raise PermissionError(_("You may not change this online service."))
    body_de, body_en = _clean_body(body_de), _clean_body(body_en)
    with transaction.atomic():
        current = ServiceVersion.objects.select_for_update().get(pk=version.pk)
        if not current.editable:
            raise CaseError(_("A published version cannot be changed; start a new draft."))
        text = NoticeText.objects.filter(version=current).first() or NoticeText(version=current)
        if lock_version is not None and lock_version != text.lock_version:
            raise Conflict(_("Someone else saved this notice text in the meantime. Reload the "
                             "page to see their changes."))
        if problems := notice_text_problems(current, body_de, body_en):
            raise NoticeTextError(problems)
        text.body_de, text.body_en = body_de, body_en
        text.lock_version += 1
        text.updated_by = actor
        text.save()
        service = current.service
        audit.record(tenant=tenantcrypto.tenant_of_authority(service.owner_authority_id)
                     if service.owner_authority_id else audit.PLATFORM,
                     actor=audit.actor_of(actor), action="notice_text.saved", obj=text,
                     data={"version": current.pk, "lock_version": text.lock_version,
                           "written": bool(body_de)})
    return text


def on_version_copied(sender, version, source, **kwargs) -> None:
    """A new draft or a copy of a service carries the notice text of its source version."""
    from .models import NoticeText

    text = NoticeText.objects.filter(version=source).first()
    if text is not None:
        NoticeText.objects.update_or_create(version=version, defaults={
            "body_de": text.body_de, "body_en": text.body_en})


def on_publishing(sender, version, **kwargs) -> list:
    """Refuse to publish a version whose notice text names a field the form lost since."""
    from amtsweg.services.actions import Problem

    from .models import NoticeText

    text = NoticeText.objects.filter(version=version).first()
    if text is None:
        return []
    return [Problem("notice_text", message)
            for _field, message in notice_text_problems(version, text.body_de, text.body_en)]
