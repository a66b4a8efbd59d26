"""Demo data of insight, for the Social Security Organization's agency admin (who analyses for it):

1. «عوامل حیاتی موفقیت دولت هوشمند»: seed 000's study in small — 18 expert interviews written for
   the demo from the paper's themes, each sentence coded with the CSF basic theme it speaks of, the
   codes grouped into the CSF's basic → organizing → global themes (assessment's master data, with
   ``framework_ref`` kept), no new code after the 15th interview (the curve flattens there).
2. «نظرهای پیش‌نویس آیین‌نامهٔ مستمری»: comments received on paper and by SMS with a campaign among
   them; assisted themes proposed, and approved by the analyst (the decisions are on the record,
   by the demo account); suggested codes and the campaign wait for a person's decision.

Idempotent: a project that exists is left as it is.
"""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import assessment, demo, identity
from smartgov.errors import NotFound
from smartgov.i18n import localize_digits
from smartgov.identity import Principal

from . import assist_service, service
from .demo_texts import CAMPAIGN, CAMPAIGN_VARIANTS, COMMENTS, EXPERTS, NEW_BY_INTERVIEW, STATEMENTS
from .models import Project

INTERVIEWS = "عوامل حیاتی موفقیت دولت هوشمند — مصاحبه‌ها"
CONSULTATION = "نظرهای پیش‌نویس آیین‌نامهٔ مستمری"
ANALYST = "agencyadmin"
AGENCY = "sso"


def _exists(db: Session, org_id: int, name: str) -> bool:
    return db.scalar(select(Project.id).where(Project.organization_id == org_id, Project.name == name)) is not None


def load(db: Session, rng: random.Random, _people: int) -> None:
    try:
        org = identity.organization_by_code(db, AGENCY)
    except NotFound:
        return
    account = identity.account_view_by_username(db, ANALYST)
    principal = identity.principal_of(db, account.id) if account else None
    if principal is None:
        return
    if not _exists(db, org.id, INTERVIEWS):
        load_interviews(db, principal, org, rng)
    if not _exists(db, org.id, CONSULTATION):
        load_consultation(db, principal, org)


def load_interviews(db: Session, principal: Principal, org: identity.OrganizationRef, rng: random.Random) -> Project:
    """The CSF interview study: sources, codes from the CSF, coding in interview order, the network."""
    project = service.create_project(db, principal, org, INTERVIEWS, description=(
        "بازسازی روش مقالهٔ «عوامل حیاتی موفقیت دولت هوشمند در ایران»: ۱۸ مصاحبه با خبرگان، کدگذاری باز، "
        "مضامین پایه، سازمان‌دهنده و فراگیر؛ اشباع در مصاحبهٔ پانزدهم. متن مصاحبه‌ها برای نمایش نوشته شده است."))
    csf = assessment.load_framework("csf")
    basic = {b.code: (g, o, b) for g in csf.nodes for o in g.children for b in o.children}
    codes = {ref: service.create_code(db, project, principal, basic[ref][2].label_fa, examples=text,
                                      definition=basic[ref][2].label_en)
             for ref, text in STATEMENTS.items() if ref in basic}
    seen: list[str] = []
    for number, (new, (role, field, gender)) in enumerate(zip(NEW_BY_INTERVIEW, EXPERTS, strict=True), 1):
        again = rng.sample(seen, min(len(seen), 3 if number > 3 else 1))
        refs = [r for r in new + again if r in codes]
        rng.shuffle(refs)
        source = service.add_source(db, project, principal, f"مصاحبهٔ {number}", " ".join(STATEMENTS[r] for r in refs),
                                    values={"role": role, "field": field, "gender": gender})
        for index, ref in enumerate(refs):
            service.code_sentence(db, project, principal, source, index, [codes[ref].id])
        seen += [r for r in new if r in codes]
    parents: dict[str, int] = {}
    for ref, code in codes.items():
        glob, org_node, node = basic[ref]
        if glob.code not in parents:
            parents[glob.code] = service.create_theme(db, project, principal, glob.label_fa, "global",
                                                      framework_ref=f"csf:{glob.code}").id
        if org_node.code not in parents:
            parents[org_node.code] = service.create_theme(db, project, principal, org_node.label_fa, "organizing",
                                                          parent_id=parents[glob.code],
                                                          framework_ref=f"csf:{org_node.code}").id
        service.create_theme(db, project, principal, node.label_fa, "basic", parent_id=parents[org_node.code],
                             code_ids=[code.id], framework_ref=f"csf:{ref}")
    return project


def load_consultation(db: Session, principal: Principal, org: identity.OrganizationRef) -> Project:
    """Comments with a campaign; themes proposed and approved, the rest left for a person to decide."""
    project = service.create_project(db, principal, org, CONSULTATION, description=(
        "نظرهایی که روی کاغذ و با پیامک دربارهٔ پیش‌نویس آیین‌نامهٔ درخواست و پرداخت مستمری رسید."))
    for number, text in enumerate(COMMENTS, 1):
        service.add_source(db, project, principal, "نظر " + localize_digits(str(number), "fa"), text, kind="comment",
                           values={"channel": "پیامک" if number % 3 else "نامه"})
    for number, tail in enumerate(CAMPAIGN_VARIANTS, len(COMMENTS) + 1):
        name = "نظر " + localize_digits(str(number), "fa")
        service.add_source(db, project, principal, name, CAMPAIGN.rstrip(".") + tail + ".", kind="comment",
                           values={"channel": "پیامک"})
    for suggestion in assist_service.run_themes(db, project, principal, k=5):
        assist_service.decide(db, project, principal, suggestion, True, name=assist_service.theme_label(suggestion))
    assist_service.run_code_suggestions(db, project, principal)
    assist_service.run_duplicates(db, project, principal)
    return project


demo.register("insight", load, order=92)
