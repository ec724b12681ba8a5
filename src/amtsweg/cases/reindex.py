"""Recompute the blind index (`SearchToken`) of a Behörde's cases from the sealed submissions.

The token key is derived from the master key (actions._index_key): after a new
FIELD_ENCRYPTION_KEY the stored tokens no longer match what a search computes, so `rotate_keys
--rewrap` calls `reindex_names --all`. A tenant key rotation leaves the token key alone.

Batches of cases by id, each batch one transaction: a case's old tokens are replaced by its
new ones at once, so a search never sees a case with tokens of two keys (search_tokens relies
on it). Cases opened meanwhile get tokens of the current key anyway; running again is harmless.
"""

from dataclasses import dataclass

from django.db import transaction

from amtsweg.audit import actions as audit
from amtsweg.core import tenantcrypto

from .actions import index_text, name_tokens
from .models import Case, SearchToken

BATCH = 500


@dataclass
class Result:
    cases: int = 0
    tokens: int = 0


def reindex_authority(authority_id: int, batch: int = BATCH) -> Result:
    tenant = tenantcrypto.tenant_of_authority(authority_id)
    result = Result()
    last = 0
    while True:
        cases = list(Case.objects.filter(authority_id=authority_id, pk__gt=last,
                                         anonymised_at__isnull=True)
                     .select_related("submission").only("id", "submission__id",
                                                        "submission__authority_id",
                                                        "submission__data")
                     .order_by("pk")[:batch])
        if not cases:
            break
        rows = [SearchToken(case_id=case.pk, token=token) for case in cases
                for token in name_tokens(tenant, index_text(case.submission.content))]
        with transaction.atomic():
            SearchToken.objects.filter(case_id__in=[c.pk for c in cases]).delete()
            SearchToken.objects.bulk_create(rows, batch_size=1000)
        result.cases += len(cases)
        result.tokens += len(rows)
        last = cases[-1].pk
    with transaction.atomic():
        audit.record(tenant=tenant, actor="system", action="cases.names_reindexed",
                     data={"cases": result.cases, "tokens": result.tokens})
    return result


def authorities_with_cases() -> list[int]:
    return sorted(Case.objects.values_list("authority_id", flat=True).distinct())
