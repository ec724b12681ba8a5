"""Benchmark-only view: the baseline of bench/submissions_bench.py.

Mounted in amtsweg/urls.py only when the environment variable AMTSWEG_BENCH_VIEWS=1 is set
(the benchmark sets it for the server it starts); it does not exist otherwise, so its CSRF
exemption never reaches production. It does the least a submission must do: seal the
payload it is given for the receiving Behörde (tenantcrypto.seal_json, like the real submit)
and INSERT one Submission row, then redirect like the real submit does.
"""

import uuid

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from amtsweg.core import safejson

from .models import Submission


@csrf_exempt
@require_POST
def bare_submit(request: HttpRequest) -> HttpResponse:
    body = safejson.loads(request.body)
    submission = Submission(
        draft_key=uuid.uuid4(), receipt_number=f"BENCH-{uuid.uuid4().hex[:24]}",
        version_id=body["version"], adoption_id=body["adoption"],
        authority_id=body["authority"], area_id=body["area"], trust_level="basis",
        lang="de", fee_amount=body.get("fee"), submitted_at=timezone.now())
    submission.data = submission.seal(body["payload"])
    submission.save(force_insert=True)
    return HttpResponseRedirect(reverse("submissions:done", args=[submission.receipt_number]))
