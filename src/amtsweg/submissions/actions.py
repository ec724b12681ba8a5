"""Applying online: start a draft, save steps and uploads, resume, submit (idempotent).

The server is the source of truth: every step is parsed and validated by the form engine;
answers are saved even when a step has errors (nothing typed is lost); submit validates the
whole form again against the exact service version.
"""

import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from amtsweg.accounts.models import Consent, Organisation, User
from amtsweg.core import bodylimit, mail, tenantcrypto
from amtsweg.core import files as core_files
from amtsweg.forms import engine, logic
from amtsweg.forms.engine import CompiledForm, compile_form
from amtsweg.services.models import Adoption, ServiceVersion, text
from amtsweg.territory.models import Area

from .models import Draft, Submission, Upload

DRAFT_DAYS = 30
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ApplyError(Exception):
    """A person-facing refusal (a sentence); nothing was changed."""


class DuplicateUpload(ApplyError):
    """The file is already stored at this field (same content); it is not stored again."""


@dataclass
class SubmitErrors(Exception):
    step: str
    errors: dict[str, list[str]]


_forms: dict[tuple[int, str], CompiledForm] = {}


def form_of(version: ServiceVersion) -> CompiledForm:
    """The compiled form of a version; published versions never change, drafts carry their
    content hash, so (id, hash) is a safe cache key that skips hashing the definition."""
    key = (version.pk, version.content_hash)
    form = _forms.get(key) if version.content_hash else None
    if form is None:
        form = compile_form(version.form)
        if version.content_hash:
            if len(_forms) > 256:
                _forms.clear()
            _forms[key] = form
    return form


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def prefill_consented(user: User) -> bool:
    return Consent.objects.filter(user=user, kind=Consent.Kind.PREFILL,
                                  withdrawn_at__isnull=True).exists()


def give_prefill_consent(user: User) -> None:
    if not prefill_consented(user):
        Consent.objects.create(user=user, kind=Consent.Kind.PREFILL)


def profile_values(user: User) -> dict[str, str]:
    from amtsweg.accounts.profile import attributes

    values = {name: attr.value for name, attr in attributes(user).items()}
    if "city" in values:  # the profile says city, forms say place (docs/forms.md)
        values.setdefault("place", values["city"])
    values.setdefault("email", user.email)
    if user.first_name:
        values.setdefault("given_name", user.first_name)
    if user.last_name:
        values.setdefault("family_name", user.last_name)
    return values


def start(*, adoption: Adoption, area: Area, user: User | None, trust_level: str,
          organisation: Organisation | None = None, guest_email: str = "",
          prefill: bool = False) -> tuple[Draft, str]:
    """A new draft for `adoption` at `area`. Returns (draft, resume token for guests)."""
    version = adoption.version
    if not adoption.active or version.state != ServiceVersion.State.PUBLISHED:
        raise ApplyError(_("This service cannot be applied for online at the moment."))
    if user is None:
        if not version.allows("guest"):
            raise ApplyError(_("Log in with your Servicekonto to apply for this service."))
        if not guest_email:
            raise ApplyError(_("Enter your e-mail address."))
    elif organisation is not None:
        if not version.allows("organisation"):
            raise ApplyError(_("Organisations cannot apply for this service."))
        if not organisation.memberships.filter(user=user).exists():
            raise ApplyError(_("You are not a member of this organisation."))
    elif not version.allows("person"):
        raise ApplyError(_("Only organisations can apply for this service."))
    form = form_of(version)
    answers: dict = {}
    if user is not None and prefill and engine.has_prefill(form):
        give_prefill_consent(user)
        answers = form.prefill(answers, profile_values(user))
    token = secrets.token_urlsafe(32) if user is None else ""
    with transaction.atomic():
        draft = Draft(adoption=adoption, version=version, authority_id=adoption.authority_id,
                      area=area, user=user, organisation=organisation,
                      resume_token_hash=_hash_token(token) if token else "",
                      step=form.step_keys[0],
                      expires_at=timezone.now() + timedelta(days=DRAFT_DAYS))
        draft.set_content(answers=answers, email=guest_email, level=trust_level,
                          uploads=False)
        draft.save()
        if token:
            send_resume_link(draft, token)
    return draft, token


def send_resume_link(draft: Draft, token: str) -> None:
    url = settings.SITE_URL.rstrip("/") + reverse("submissions:resume", args=[token])
    mail.send_after_commit(
        draft.content.get("email", ""), _("Your application: link to continue"),
        "submissions/email/resume.txt",
        {"service": draft.adoption.service.title_text, "url": url,
         "expires": draft.expires_at, "authority": draft.authority.name})


def draft_for_token(token: str) -> Draft | None:
    if not token:
        return None
    return (Draft.objects.filter(resume_token_hash=_hash_token(token),
                                 expires_at__gt=timezone.now()).first())


def save_step(draft: Draft, step: str, post, files: dict[str, list[UploadedFile]],
              *, validate: bool = True,
              refused: Iterable[bodylimit.RefusedFile] = (),
              notices: list[str] | None = None) -> dict[str, list[str]]:
    """Merge a posted step into the draft and save it; return the step's errors.

    Uploads are checked and stored first; a refused file becomes an error at its field,
    also one dropped while it streamed in (`refused`, see core.bodylimit.limit_files).
    Files count only at the file items of this step (those its body limit allows for).
    The upload ids of a file item change only here (a stored file is added) and in
    `remove_upload`; the form engine ignores posted values of file items. A file whose
    content is already stored at the same field is not stored again; `notices` gets a
    sentence that says so.
    """
    form = form_of(draft.version)
    answers = form.parse_step(step, post, draft.answers)
    upload_errors: dict[str, list[str]] = {}
    stored = False
    for dropped in refused:
        item = form.item(dropped.field)
        if (item is not None and item.type == "file" and item.step == step
                and form.is_visible(dropped.field, answers)):
            upload_errors.setdefault(dropped.field, []).append(
                too_large(dropped.name, dropped.limit))
    for path, uploaded in files.items():
        item = form.item(path)
        if (item is None or item.type != "file" or item.step != step
                or not _has_container(answers, path) or not form.is_visible(path, answers)):
            continue
        current = [v for v in (_get(answers, path) or []) if isinstance(v, str)]
        known = dict(Upload.objects.filter(draft=draft, pk__in=_uuids(current))
                     .values_list("sha256", "pk")) if current else {}
        for f in uploaded:
            try:
                upload = store_upload(draft, path, item.spec, f, len(current), known=known)
            except DuplicateUpload as exc:
                if notices is not None:
                    notices.append(str(exc))
            except ApplyError as exc:
                upload_errors.setdefault(path, []).append(str(exc))
            else:
                current.append(str(upload.pk))
                known[upload.sha256] = upload.pk
                stored = True
        _set(answers, path, current)
    with transaction.atomic():
        draft.set_content(answers=answers, **({"uploads": True} if stored else {}))
        draft.step = step
        draft.expires_at = timezone.now() + timedelta(days=DRAFT_DAYS)
        draft.save(update_fields=["data", "step", "updated_at", "expires_at"])
    if not validate:
        return upload_errors
    _cleaned, errors = form.validate(answers, step=step)
    for path, messages in upload_errors.items():
        # the refused file explains why the field is empty: no second "Bitte laden Sie …
        # hoch" for the same cause (second outside round)
        errors[path] = messages
    return errors


def _get(answers: dict, path: str):
    node = answers
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)] if part.isdecimal() and int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _has_container(answers: dict, path: str) -> bool:
    """Whether the dict that holds the answer at `path` exists (an entry of a repeated group
    that the answers have); a path into a missing entry must not be written."""
    head, _sep, _key = path.rpartition(".")
    return not head or isinstance(_get(answers, head), dict)


def _uuids(values: Iterable[str]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def _set(answers: dict, path: str, value) -> None:
    parts = path.split(".")
    node = answers
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[parts[-1]] = value


def store_upload(owner: "Draft | Submission", path: str, item: dict, f: UploadedFile,
                 existing: int, *, known: dict | None = None) -> Upload:
    """Check a file by its content and store it sealed for the owner's Behörde. The owner is
    a draft, or a submission when the applicant answers a request for documents.

    `known`: SHA-256 → upload id of the files already stored at this field; a file with
    the same content raises DuplicateUpload and is not stored a second time."""
    rules = item.get("file") or {}
    label = text(item.get("label"))
    max_size = file_limit(rules)
    if f.size > max_size:
        raise ApplyError(too_large(f.name, max_size))
    data = f.read(max_size + 1)
    if len(data) > max_size:
        raise ApplyError(too_large(f.name, max_size))
    if not data:
        raise ApplyError(_("%(name)s is empty.") % {"name": f.name})
    digest = hashlib.sha256(data).hexdigest()
    detected = core_files.sniff(data)
    if known and digest in known:
        raise DuplicateUpload(
            _("%(name)s is already uploaded at “%(label)s”; it was not added a second time.")
            % {"name": core_files.stored_name(f.name, detected), "label": label})
    if existing >= int(rules.get("max_count", 1)):
        raise ApplyError(_("%(label)s: you can add at most %(n)s files.")
                         % {"label": label, "n": rules.get("max_count", 1)})
    allowed = rules.get("types") or ["application/pdf", "image/jpeg", "image/png"]
    if detected not in allowed:
        raise ApplyError(_("%(name)s is not an allowed file type (allowed: %(types)s).")
                         % {"name": f.name, "types": ", ".join(_type_names(allowed))})
    upload = Upload(authority_id=owner.authority_id, field=path, content_type=detected,
                    size=len(data), sha256=digest)
    if isinstance(owner, Submission):
        upload.submission = owner
    else:
        upload.draft = owner
    upload.meta = upload.seal({"name": core_files.stored_name(f.name, detected)})
    upload.stored_name = default_storage.save(
        f"uploads/{owner.authority_id}/{upload.pk}.bin",
        ContentFile(tenantcrypto.seal(upload.tenant, data, f"upload-file:{upload.pk}")))
    upload.save()
    return upload


def too_large(name: str, limit: int) -> str:
    """The sentence for a file above its field's limit (in MB, as the field's hint says)."""
    size = round(limit / 1024 / 1024, 1)
    return _("The file %(name)s is too large (at most %(size)s MB).") % {
        "name": name, "size": formats.number_format(size if size % 1 else int(size),
                                                    use_l10n=True)}


def step_file_limits(form: CompiledForm, step_key: str) -> Callable[[str], int]:
    """The most bytes one file posted under a field name may have on a step: its file
    item's limit, 0 for any name that is not a file item of this step."""

    def limit(name: str) -> int:
        item = form.item(name)
        if item is None or item.type != "file" or item.step != step_key:
            return 0
        return file_limit(item.spec.get("file") or {})

    return limit


def file_limit(rules: dict) -> int:
    """The size limit of one file of a file item."""
    return min(int(rules.get("max_size", 10 * 1024 * 1024)), MAX_UPLOAD_BYTES)


def step_upload_bytes(form: CompiledForm, step_key: str) -> int:
    """The most file bytes one POST of a step can carry (its body limit beyond the fields):
    every file item's files at their size limit, times the entries of repeated groups."""

    def visit(items: list[engine.Item], factor: int) -> int:
        total = 0
        for item in items:
            if item.type == "group":
                entries = int(item.repeat.get("max", 10)) if item.repeat is not None else 1
                total += visit(item.children, factor * entries)
            elif item.type == "file":
                rules = item.spec.get("file") or {}
                total += factor * int(rules.get("max_count", 1)) * file_limit(rules)
        return total

    step = next((s for s in form.steps if s.key == step_key), None)
    return visit(step.items, 1) if step is not None else 0


def _type_names(types: list[str]) -> list[str]:
    names = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG",
             "image/tiff": "TIFF", "text/plain": "Text", "text/csv": "CSV"}
    return [names.get(t, t) for t in types]


def read_upload(upload: Upload) -> bytes:
    with default_storage.open(upload.stored_name, "rb") as fh:
        return tenantcrypto.open_(upload.tenant, fh.read(), f"upload-file:{upload.pk}")


def remove_upload(draft: Draft, path: str, upload_id: str) -> None:
    """Remove one of the draft's files from the file item at `path`. A path that names no
    file item of the answers, or an id not listed there, changes nothing."""
    form = form_of(draft.version)
    item = form.item(path)
    answers = draft.answers
    listed = _get(answers, path) if _has_container(answers, path) else None
    if item is None or item.type != "file" or not isinstance(listed, list) or (
            upload_id not in listed):
        return
    current = [u for u in listed if u != upload_id]
    _set(answers, path, current)
    ids = _uuids([upload_id])
    upload = draft.uploads.filter(pk=ids[0]).first() if ids else None
    with transaction.atomic():
        draft.set_content(answers=answers)
        draft.save(update_fields=["data", "updated_at"])
        if upload is not None:
            name = upload.stored_name
            upload.delete()
            transaction.on_commit(lambda: default_storage.delete(name))


def upload_names(draft_or_submission) -> dict[str, dict]:
    """Upload id → {"name", "size", "type"} of a draft's or a submission's files."""
    return {str(u.pk): {"name": u.name, "size": u.size, "type": u.content_type}
            for u in draft_or_submission.uploads.all()}


def summary_sections(version: ServiceVersion, answers: dict, uploads: dict[str, dict],
                     lang: str | None = None) -> list[dict]:
    return engine.summary_sections(form_of(version), answers, lang,
                                   {k: v["name"] for k, v in uploads.items()})


def compute_fee(adoption: Adoption, version: ServiceVersion, answers: dict) -> Decimal | None:
    amount = adoption.fee if adoption.fee is not None else (version.fee or {}).get("amount")
    if amount is None:
        return None
    value = logic.evaluate(amount, answers) if isinstance(amount, dict) else amount
    try:
        fee = Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return None
    return fee if fee >= 0 else None


def applicant_name(form: CompiledForm, answers: dict, user: User | None) -> str:
    names = engine.prefilled_values(form, answers)
    name = " ".join(v for v in (names.get("given_name"), names.get("family_name")) if v)
    if name:
        return name
    return user.get_full_name() if user else ""


def new_receipt_number(now) -> str:
    body = "".join(secrets.choice(CROCKFORD) for _ in range(8))
    check = CROCKFORD[sum(CROCKFORD.index(c) * (i + 1) for i, c in enumerate(body)) % 32]
    return f"AW-{now:%Y}-{body[:4]}-{body[4:]}{check}"


def submit(draft_id, *, user: User | None, accepted: bool,
           check: Callable[[Draft], None] | None = None, payment: str = "") -> Submission:
    """Send the application. Idempotent: the same draft always gives the same submission,
    whether the button was clicked twice, the request retried or sent from two tabs.

    `check(draft)` runs on the locked draft before anything changes (the view's access
    check); it raises to refuse. `payment`: the applicant's choice for a fee paid after
    sending ("invoice" records an open invoice; docs/payments.md).
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _submit(draft_id, user, accepted, check, payment)
        except IntegrityError:
            done = Submission.objects.filter(draft_key=draft_id).first()
            if done is not None:
                return done
            # a receipt number collided (1 in 10^13): the next attempt draws another
    raise ApplyError(_("Your application could not be sent. Please try again."))


def _submit(draft_id, user: User | None, accepted: bool,
            check: Callable[[Draft], None] | None, payment: str = "") -> Submission:
    # Lock the draft row only: FOR UPDATE on the joined rows too would make every submission
    # of the same service version, adoption and Behörde wait for the one before it. A draft
    # that still exists has no submission (both change in one transaction), so the
    # submission is looked up only when the draft is gone.
    # Only the rows the checks need, no ORDER BY: PostgreSQL plans a join of six tables with
    # a sort in about 3 ms, longer than the rest of the submit.
    draft = (Draft.objects.select_for_update(of=("self",))
             .select_related("version", "adoption").defer("version__form")
             .filter(pk=draft_id).order_by().first())
    if draft is None:
        done = Submission.objects.filter(draft_key=draft_id).first()
        if done is not None:
            return done
        raise ApplyError(_("This application no longer exists."))
    if check is not None:
        check(draft)
    if not accepted:
        raise ApplyError(_("Confirm the declaration to send your application."))
    version, adoption = draft.version, draft.adoption
    if version.state == ServiceVersion.State.RETIRED or not adoption.active:
        raise ApplyError(_("This service cannot be applied for online at the moment."))
    form = form_of(version)
    cleaned, errors = form.validate(draft.answers)
    if errors:
        first = next(iter(errors))
        raise SubmitErrors(engine.step_of(form, first) or form.step_keys[0], errors)
    fee = compute_fee(adoption, version, cleaned)
    pay_first = bool(fee) and bool((version.fee or {}).get("before_submit"))
    now = timezone.now()
    email = user.email if user is not None else draft.content.get("email", "")
    submission = Submission(
        draft_key=draft.pk, version=version, adoption=adoption, authority_id=draft.authority_id,
        area_id=draft.area_id, user_id=draft.user_id, organisation_id=draft.organisation_id,
        trust_level=draft.content.get("level", "basis"), lang=(get_language() or "de")[:2],
        fee_amount=fee, submitted_at=now,
        receipt_number=new_receipt_number(now))
    submission.data = submission.seal({
        "answers": cleaned, "email": email,
        "applicant": applicant_name(form, cleaned, user if draft.user_id else None),
        "organisation": draft.organisation.name if draft.organisation_id else "",
    })
    submission.save(force_insert=True)
    _move_uploads(draft, submission, set(engine.upload_ids(form, cleaned)))
    if pay_first or payment or draft.content.get("payment"):  # else no query at all
        from amtsweg.payments.actions import link_to_submission

        # a fee to pay first: one query, which links the payment or refuses (rolled back)
        link_to_submission(submission, draft=draft, choice=payment, required=pay_first)
    # The uploads are dealt with, nothing else points at the draft: delete the row without
    # the collector's extra queries.
    Draft.objects.filter(pk=draft.pk)._raw_delete(using=draft._state.db)
    # The outbox entry, in the same transaction: stored with the submission or not at all.
    # The worker opens the case and sends the confirmation e-mail.
    from .tasks import submission_received

    submission_received.enqueue(str(submission.pk))
    return submission


def _move_uploads(draft: Draft, submission: Submission, used: set[str]) -> None:
    """Files the answers name go with the submission; the rest are deleted after commit.
    A draft that never stored a file (`uploads` false in its content) needs no query."""
    if draft.content.get("uploads") is False and not used:
        return
    rows = list(Upload.objects.filter(draft=draft).values_list("pk", "stored_name"))
    if not rows:
        return
    keep = [pk for pk, _name in rows if str(pk) in used]
    drop = [(pk, name) for pk, name in rows if str(pk) not in used]
    if keep:
        Upload.objects.filter(pk__in=keep).update(submission=submission, draft=None)
    if drop:
        Upload.objects.filter(pk__in=[pk for pk, _name in drop]).delete()
        names = [name for _pk, name in drop]
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


def discard(draft: Draft) -> None:
    names = list(draft.uploads.values_list("stored_name", flat=True))
    with transaction.atomic():
        draft.uploads.all().delete()
        draft.delete()
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


def purge_expired_drafts(now=None) -> int:
    """Delete drafts not continued for 30 days, with their uploaded files (data
    minimisation: an unsent application is not kept)."""
    now = now or timezone.now()
    count = 0
    for draft in Draft.objects.filter(expires_at__lte=now).iterator():
        discard(draft)
        count += 1
    return count
