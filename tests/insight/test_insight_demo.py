"""The insight demo loads twice without duplicates: an interview study shaped like seed 000's (CSF
themes from assessment's master data, saturation at interview 15) and a consultation coded with
assisted themes, whose approvals are on the record and whose other suggestions wait for a person."""

from __future__ import annotations

import random

from smartgov import demo, identity
from smartgov.identity import Role
from smartgov.insight import analysis, assist_service, service
from smartgov.insight import demo as insight_demo
from tests.factories import create_account, page_login


def test_demo_reproduces_the_shape_of_seed_000_and_assisted_coding(client, database, db) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        with database.unit_of_work() as session:
            demo.load_identity(session, random.Random(1405), 12)
        with database.unit_of_work() as session:
            insight_demo.load(session, random.Random(1405), 12)
    admin = identity.principal_of(db, identity.account_view_by_username(db, "agencyadmin").id)
    projects = {p.name: p for p in service.projects_for(db, admin)}
    assert set(projects) == {insight_demo.INTERVIEWS, insight_demo.CONSULTATION}
    study = projects[insight_demo.INTERVIEWS]
    points, flat = analysis.saturation(db, study)
    assert len(points) == 18 and flat == 15 and points[-1].total_codes == 26 and points[0].new_codes == 5
    themes = service.themes(db, study)
    levels = {level: [t for t in themes if t.level == level] for level in ("global", "organizing", "basic")}
    assert len(levels["global"]) == 2 and len(levels["organizing"]) == 12 and len(levels["basic"]) == 26
    assert {t.framework_ref for t in levels["global"]} == {"csf:A", "csf:B"}
    comments = projects[insight_demo.CONSULTATION]
    decided = assist_service.suggestions(db, comments, status="approved")
    assert decided and all(s.kind == "theme" and s.decided_by == admin.id for s in decided)
    assert len(service.codes(db, comments)) == len(decided)
    waiting = assist_service.suggestions(db, comments, status="pending")
    assert {s.kind for s in waiting} == {"code", "duplicate"}
    campaign = next(s for s in waiting if s.kind == "duplicate")
    assert len(campaign.payload["sources"]) == 6
    reader = create_account(db, "analyst-sso", Role.ANALYST, organization="sso")  # the agency's own analyst
    db.commit()
    page_login(client, reader, "/insight")
    for path in (f"/insight/projects/{study.id}/network", f"/insight/projects/{study.id}/saturation",
                 f"/insight/projects/{comments.id}/assist"):
        assert client.get(path).status_code == 200, path
