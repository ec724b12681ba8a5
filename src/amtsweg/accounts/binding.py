"""Which person a Servicekonto belongs to, and whether an identification is that person.

A Servicekonto is bound to the first identity an identity provider confirmed for it. From
then on a confirmation counts only when it is the same person, so a stolen password plus
somebody else's eID cannot open the Postfach, overwrite the confirmed data or prefill
applications with a stranger's data (issue 11, finding 9). The rules (docs/identity.md):

1. An identity linked to another account is refused.
2. An account with no linked identity is bound to this one.
3. Name and date of birth that both the account's confirmed data and the assertion carry
   must be equal (after Unicode normalisation and case folding), whatever the pseudonym.
4. The same pseudonym of the same provider as a linked identity is the same person.
5. A new pseudonym (another provider, a new identity card) is the same person only when
   family name, given names and date of birth are all present on both sides and equal.

This module only decides; ``actions.identify`` applies the decision with its audit entry.
"""

import unicodedata
from dataclasses import dataclass

from .identity import Assertion
from .models import Identity, ProfileAttribute, User

# The attributes that identify a person across providers and identity cards.
PERSON = ("family_name", "given_name", "birth_date")


class Outcome:
    BIND = "bind"  # first confirmed identity: the account is bound to it
    SAME = "same"  # a pseudonym already linked to this account
    LINK = "link"  # a new pseudonym of the same person (rule 5)
    OTHER_ACCOUNT = "other_account"
    OTHER_PERSON = "other_person"
    UNCONFIRMED = "unconfirmed"  # a new pseudonym without the data to tell


ACCEPTED = {Outcome.BIND, Outcome.SAME, Outcome.LINK}


@dataclass(frozen=True)
class Verdict:
    outcome: str
    differing: tuple[str, ...] = ()  # names of the person attributes that differ (no values)

    @property
    def accepted(self) -> bool:
        return self.outcome in ACCEPTED


def normalise(name: str, value: str) -> str:
    """The form in which two confirmations of a person attribute are compared.

    Providers spell the same data differently (case, composed umlauts, spaces, German or ISO
    dates); nothing beyond that is forgiven: "Müller" and "Mueller" differ, and so do
    "Erika" and "Erika Maria" (a false refusal has a help path, a false match does not).
    """
    text = " ".join(unicodedata.normalize("NFKC", value or "").casefold().split())
    if name == "birth_date":
        parts = text.split(".")
        if len(parts) == 3 and all(p.isdigit() for p in parts):  # 12.08.1964
            text = f"{parts[2]}-{parts[1].zfill(2)}-{parts[0].zfill(2)}"
        text = text.split("t")[0]  # a date-time: the date is what counts
    return text


def confirmed_person(user: User) -> dict[str, str]:
    """The account's person attributes as confirmed by identity providers (never typed ones),
    normalised. Only ``actions.identify`` writes eID-confirmed attributes, and only for the
    bound person, so these are the bound person's data."""
    return {a.name: normalise(a.name, a.value)
            for a in ProfileAttribute.objects.filter(user=user, name__in=PERSON,
                                                     source=ProfileAttribute.Source.EID)}


def asserted_person(assertion: Assertion) -> dict[str, str]:
    return {name: normalise(name, assertion.attributes[name]) for name in PERSON
            if (assertion.attributes.get(name) or "").strip()}


def judge(user: User, assertion: Assertion) -> Verdict:
    """Is `assertion` the person `user` is bound to? Reads only; call with the account row
    locked so that two identifications of one account are judged one after the other."""
    linked = Identity.objects.filter(provider=assertion.provider,
                                     subject=assertion.subject).first()
    if linked is not None and linked.user_id != user.pk:
        return Verdict(Outcome.OTHER_ACCOUNT)
    if not Identity.objects.filter(user=user).exists():
        return Verdict(Outcome.BIND)
    bound, asserted = confirmed_person(user), asserted_person(assertion)
    differing = tuple(name for name in PERSON
                      if name in bound and name in asserted and bound[name] != asserted[name])
    if differing:
        return Verdict(Outcome.OTHER_PERSON, differing)
    if linked is not None:
        return Verdict(Outcome.SAME)
    if all(name in bound and name in asserted for name in PERSON):
        return Verdict(Outcome.LINK)
    return Verdict(Outcome.UNCONFIRMED)
