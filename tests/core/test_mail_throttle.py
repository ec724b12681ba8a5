"""Issue 11, finding 6: every place that sends mail is known; those that send to an address a
person typed count it first (core.mail.count_typed_address)."""

import ast
from pathlib import Path

import amtsweg

SENDERS = {"send_after_commit", "queue_email", "send_mail", "send_mass_mail", "EmailMessage",
           "send_email"}

# module: function -> why it needs no count, or where the count is made. A new call site fails
# this test until it is added here, after checking who chooses the address.
KNOWN = {
    "accounts/actions.py:register": "counted in views.register (typed address)",
    "accounts/actions.py:send_verification": "counted in views.register and views.resend",
    "accounts/forms.py:send_mail": "password reset: counted in views.PasswordResetView",
    "accounts/organisations.py:invite": "counted in views_organisations.detail",
    "accounts/twofactor.py:notify_holder": "to the account's own address",
    "accounts/staff.py:_send_invitation": "staff administrators with two factors only",
    "accounts/staff.py:grant": "staff administrators with two factors only",
    "cases/actions.py:_notify_applicant": "a clerk writes to the applicant's address",
    "cases/notices.py:issue": "a clerk's notice to the applicant's address",
    "cases/notices.py:send": "a clerk's notice to the applicant's address",
    "submissions/actions.py:send_resume_link": "guests: counted in submissions.views.start",
    "submissions/tasks.py:send_confirmation": "once per application; its draft was counted",
    "cases/reminders.py:send_reminders": "to clerks",
    "mailbox/actions.py:deliver": "to the Postfach owner's account address",
    "accounts/tasks.py:tell_login_locked": "a login lock: to the account's own address, "
                                            "once per lock and window, within its budget",
    "accounts/actions.py:identify": "a refused identification: to the account's own address",
    "accounts/actions.py:release_identity": "support's command: to the account's own address",
    "core/mail.py:send_after_commit": "the sender itself",
    "core/mail.py:queue_email": "the sender itself",
    "core/mail.py:send_email": "the worker's task",
}


def _call_sites() -> set[str]:
    root = Path(amtsweg.__file__).parent
    sites = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Call):
                    names = {getattr(node.func, "id", None), getattr(node.func, "attr", None),
                             getattr(getattr(node.func, "value", None), "id", None)}
                    if names & SENDERS:
                        sites.add(f"{path.relative_to(root)}:{func.name}")
    return sites


def test_every_mail_sender_is_reviewed():
    sites = _call_sites()
    assert not set(KNOWN) - sites, f"gone, remove from KNOWN: {sorted(set(KNOWN) - sites)}"
    unknown = sites - set(KNOWN)
    assert not unknown, (
        f"New mail sending in {sorted(unknown)}: if a person types the address, call "
        "core.mail.count_typed_address before (outside the action's transaction), then list "
        "the call site in KNOWN with the reason.")


def test_the_views_of_typed_addresses_count():
    root = Path(amtsweg.__file__).parent
    for module in ("accounts/views.py", "accounts/views_organisations.py",
                   "submissions/views.py"):
        assert "count_typed_address" in (root / module).read_text(), module
