"""Login throttling in the shared counters of `core.throttle` (all web processes and nodes
agree), fair to the account's holder (outside tester, N2).

A wrong password used to count per account alone, so anybody could lock a person out by
typing five wrong passwords for their address. Now, within ``LOGIN_THROTTLE_WINDOW``:

* failures count per (account, client) pair (client = `core.clientip.client_key`): whoever
  guesses from one connection locks only that connection out of that account
  (``LOGIN_THROTTLE_PER_ACCOUNT``);
* a ceiling per account across all clients (``LOGIN_THROTTLE_PER_ACCOUNT_TOTAL``) still caps
  distributed guessing; a blocked attempt is not counted, so one client adds at most
  ``LOGIN_THROTTLE_PER_ACCOUNT`` to it;
* a known device (a signed cookie set after a successful login or a completed password
  reset, bound to the account) has its own counter instead and is exempt from the ceiling
  and from the per-client limit, so the holder still gets in on their own browser while
  strangers guess from everywhere;
* per client address (``LOGIN_THROTTLE_PER_IP``) against spraying across accounts.

Failures are counted for the e-mail address typed, whether an account exists or not, so the
answers are the same for both. A completed password reset clears the account's counters
(the pair and device counters by a new epoch, since they cannot be listed).
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare, salted_hmac

from amtsweg.core import clientip, throttle

DEVICE_COOKIE = "amtsweg_device"
DEVICE_SALT = "amtsweg.accounts.known-device"

CLIENT_LOCK = "client"  # one connection or device locked out of one account
ACCOUNT_LOCK = "account"  # the ceiling: the account locked for every unknown device


def _norm(email: str) -> str:
    return email.strip().lower()


def _account_tag(email: str) -> str:
    """The account a device cookie belongs to, without the address in the cookie."""
    return salted_hmac(DEVICE_SALT, _norm(email)).hexdigest()[:24]


@dataclass(frozen=True)
class Attempt:
    """One login attempt: the address typed, the client, the known device (if any)."""

    email: str
    client: str
    device: str | None
    epoch: int

    @property
    def own(self) -> str:
        """The counter of this attempt's source: the device, else the (account, client)."""
        if self.device:
            return throttle.key("login-device", f"{self.email}|{self.epoch}|{self.device}")
        return throttle.key("login-pair", f"{self.email}|{self.epoch}|{self.client}")


def _epoch_key(email: str) -> str:
    return throttle.key("login-epoch", email)


def _total_key(email: str) -> str:
    return throttle.key("login-account", email)


def _client_key(client: str) -> str:
    return throttle.key("login-client", client)


def _lock_mail_key(email: str, kind: str) -> str:
    return throttle.key("login-lock-mail", f"{email}|{kind}")


def known_device(request: HttpRequest, email: str) -> str | None:
    """The device id of a valid cookie for this account, else None."""
    value = request.COOKIES.get(DEVICE_COOKIE, "")
    if not value:
        return None
    try:
        data = signing.loads(value, salt=DEVICE_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), str):
        return None
    if not constant_time_compare(str(data.get("a", "")), _account_tag(email)):
        return None
    return data["d"]


def attempt(request: HttpRequest, email: str) -> Attempt:
    email = _norm(email)
    return Attempt(email=email, client=clientip.client_key(request),
                   device=known_device(request, email),
                   epoch=throttle.peek(_epoch_key(email)))


def is_blocked(a: Attempt) -> bool:
    if throttle.peek(a.own) >= settings.LOGIN_THROTTLE_PER_ACCOUNT:
        return True
    if a.device:
        return False
    return (throttle.peek(_total_key(a.email)) >= settings.LOGIN_THROTTLE_PER_ACCOUNT_TOTAL
            or throttle.peek(_client_key(a.client)) >= settings.LOGIN_THROTTLE_PER_IP)


def record_blocked(a: Attempt) -> None:
    """An attempt refused unchecked: it counts against the client only, never towards the
    account's ceiling (else one client could raise it alone)."""
    if not a.device:
        throttle.hit(_client_key(a.client), settings.LOGIN_THROTTLE_WINDOW)


def record_failure(a: Attempt) -> str | None:
    """Count a wrong password; the kind of lock this failure starts, if it starts one."""
    window = settings.LOGIN_THROTTLE_WINDOW
    own = throttle.hit(a.own, window).used
    total = throttle.hit(_total_key(a.email), window).used
    if not a.device:
        throttle.hit(_client_key(a.client), window)
    if total == settings.LOGIN_THROTTLE_PER_ACCOUNT_TOTAL:
        return ACCOUNT_LOCK
    if own == settings.LOGIN_THROTTLE_PER_ACCOUNT:
        return CLIENT_LOCK
    return None


def first_mail_of_lock(email: str, kind: str) -> bool:
    """True once per lock kind and window: the holder is told once, not per attempt."""
    return throttle.hit(_lock_mail_key(_norm(email), kind),
                        settings.LOGIN_THROTTLE_WINDOW).used == 1


def succeeded(a: Attempt) -> None:
    """The right password: this source's failures are forgiven (the ceiling is not, so that
    the holder's login does not give distributed guessers a new budget)."""
    throttle.clear(a.own)


def reset_account(email: str) -> None:
    """The holder proved control of the mailbox (password reset): every failure counter of
    the account starts again. Pair and device counters are keyed by the epoch, which lives
    at least as long as they do."""
    email = _norm(email)
    throttle.hit(_epoch_key(email), settings.LOGIN_THROTTLE_WINDOW)
    for counter in (_total_key(email), _lock_mail_key(email, CLIENT_LOCK),
                    _lock_mail_key(email, ACCOUNT_LOCK)):
        throttle.clear(counter)


def remember_device(request: HttpRequest, response: HttpResponse, email: str) -> None:
    """Mark this browser as a known device of the account (after a successful login or a
    completed password reset); an existing id for the same account is kept."""
    device = known_device(request, email) or secrets.token_urlsafe(12)
    value = signing.dumps({"a": _account_tag(email), "d": device}, salt=DEVICE_SALT)
    response.set_cookie(DEVICE_COOKIE, value, max_age=settings.LOGIN_DEVICE_COOKIE_AGE,
                        path="/konto/", secure=settings.SESSION_COOKIE_SECURE, httponly=True,
                        samesite="Lax")
