"""Every seed service can be started where it is adopted, every step renders, and an empty
step gives an error summary instead of a server error."""

import pytest
from django.urls import reverse

from amtsweg.accounts.models import TrustLevel
from amtsweg.services.models import Adoption
from amtsweg.submissions import actions
from amtsweg.submissions.models import Draft

pytestmark = pytest.mark.django_db

SLUGS = ["elterngeld", "feinstaubplakette", "geburtsurkunde", "krankentransport",
         "personenbefoerderungsschein", "reisepass", "sterbeurkunde", "taxigenehmigung",
         "wohngeld", "wunschkennzeichen", "zulassungsbescheinigung-teil-1"]


@pytest.mark.parametrize("slug", SLUGS)
def test_seed_service_steps_render(client, django_user_model, slug):
    adoption = (Adoption.objects.filter(service__slug=slug, active=True)
                .select_related("authority__area", "version").order_by("pk").first())
    assert adoption is not None, f"{slug} is adopted nowhere"
    user = django_user_model.objects.create_user(f"{slug}@example.org", "Pw-for-tests-2026")
    client.force_login(user)
    session = client.session
    session["trust_level"] = TrustLevel.HOCH
    session.save()
    from amtsweg.services.actions import offered
    from amtsweg.territory import lookup

    area = next(a for a in sorted(lookup.covered_areas(adoption.authority.area_id),
                                  key=lambda a: a.ags)
                if a.kind == "gemeinde" and offered(adoption.service.leistung_id, a.pk))
    start = client.get(reverse("submissions:start", args=[slug, area.ags]))
    assert start.status_code == 200, slug
    assert "person" in adoption.version.applicants, f"{slug}: seed services are for persons"
    r = client.post(reverse("submissions:start", args=[slug, area.ags]), {})
    assert r.status_code == 302, r.content.decode()[:3000]
    draft = Draft.objects.get(user=user)
    form = actions.form_of(draft.version)
    for step in form.step_keys:
        page = client.get(reverse("submissions:step", args=[draft.pk, step]))
        assert page.status_code in (200, 302), (slug, step)
    first = form.step_keys[0]
    r = client.post(reverse("submissions:step", args=[draft.pk, first]), {"_action": "next"})
    assert r.status_code in (302, 400)
    if r.status_code == 400:
        assert 'id="error-summary"' in r.content.decode()
    summary = client.get(reverse("submissions:summary", args=[draft.pk]))
    assert summary.status_code == 200
