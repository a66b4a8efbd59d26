"""Bilingual participation demo: a draft regulation open for comment (and one already decided),
a poll, a participatory budget, a petition, and a project that missed a milestone.

Idempotent: each part is looked up by its short name first.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov import clock, demo, identity
from smartgov.identity import AccountRef, Role, create_account, organization_by_code, prove
from smartgov.participation import service
from smartgov.participation.models import AccountabilityItem, Budget, Consultation, Petition, Poll

DRAFT = [
    ("هدف", "Purpose",
     "این آیین‌نامه شیوهٔ درخواست و پرداخت مستمری بازنشستگی را ساده و یکسان می‌کند.",
     "This regulation makes applying for and paying retirement pensions simple and uniform."),
    ("مهلت بررسی", "Review deadline",
     "سازمان باید هر درخواست کامل مستمری را ظرف سی روز کاری بررسی و نتیجه را به درخواست‌کننده اعلام کند.",
     "The organization must review each complete pension request within thirty working days "
     "and tell the applicant the result."),
    ("مدارک", "Documents",
     "درخواست‌کننده فقط مدارکی را بارگذاری می‌کند که سازمان از دستگاه‌های دیگر نمی‌تواند دریافت کند.",
     "Applicants upload only documents the organization cannot obtain from other agencies."),
    ("اعتراض", "Appeals",
     "درخواست‌کننده می‌تواند ظرف شصت روز از اعلام نتیجه به آن اعتراض کند.",
     "Applicants may appeal a decision within sixty days of being told the result."),
]

COMMENTS = [
    (2, "سی روز کاری برای کسی که حقوقش قطع شده خیلی زیاد است؛ پانزده روز کافی است."),
    (2, "Thirty working days is too long when someone has no income; fifteen would be fair."),
    (3, "خوب است که مدارک تکراری نخواهید. لطفاً فهرست مدارک را هم منتشر کنید."),
    (4, "شصت روز برای اعتراض مناسب است، اما راه اعتراض برخط هم لازم است."),
    (None, "کل پیش‌نویس روشن و کوتاه است؛ از این بابت سپاسگزاریم."),
]


def _residents(db: Session, rng: random.Random, n: int) -> list[AccountRef]:
    """Demo citizens with proven accounts (``resident1`` … ``residentN``)."""
    out: list[AccountRef] = []
    spare = identity.people_without_account(db)
    for i in range(1, n + 1):
        username = f"resident{i}"
        account: AccountRef | None = identity.account_view_by_username(db, username)
        if account is None:
            if not spare:
                break
            account = create_account(db, username=username, password=demo.DEMO_PASSWORD, role=Role.CITIZEN,
                                     person=spare.pop(0), language="fa" if i % 3 else "en")
        prove(db, account, "demo", actor_id=None)  # demo accounts are proven (a no-op once they are)
        out.append(account)
    return out


def _phases(info_days_ago: int) -> dict[str, dt.datetime]:
    start = clock.now() - dt.timedelta(days=info_days_ago)
    offsets = {"information": 0, "consultation": 7, "analysis": 37, "decision": 51, "accountability": 65}
    return {k: start + dt.timedelta(days=v) for k, v in offsets.items()}


def load(db: Session, rng: random.Random, people: int) -> None:
    sso = organization_by_code(db, "sso")
    residents = _residents(db, rng, 8)
    sections = [{"heading_fa": h_fa, "heading_en": h_en, "body_fa": b_fa, "body_en": b_en}
                for h_fa, h_en, b_fa, b_en in DRAFT]

    # A draft regulation in its consultation phase, with comments, a reply and ratings.
    if db.scalar(select(Consultation.id).where(Consultation.slug == "pension-rules")) is None:
        c = service.create_consultation(
            db, organization=sso, slug="pension-rules", kind="regulation",
            title_fa="پیش‌نویس آیین‌نامهٔ درخواست و پرداخت مستمری",
            title_en="Draft regulation on pension requests and payment",
            summary_fa="نظر شما دربارهٔ مهلت‌ها، مدارک و اعتراض را می‌خواهیم.",
            summary_en="We want your views on deadlines, documents and appeals.", phases=_phases(10), sections=sections)
        posted = []
        for (section, text), author in zip(COMMENTS, residents, strict=False):
            posted.append(service.post_comment(db, account=author, subject_kind="consultation", subject_id=c.id,
                                               body=text, section_number=section))
        if len(posted) >= 2 and len(residents) >= 6:
            service.post_comment(db, account=residents[5], subject_kind="consultation", subject_id=c.id,
                                 body="موافقم؛ مستمری‌بگیران نمی‌توانند یک ماه صبر کنند.", parent_id=posted[0].id)
            for voter in residents[2:7]:
                if voter.id != posted[0].author_id:
                    service.rate_comment(db, posted[0], voter, 1)

    # A smaller draft already decided: the agency's response, what changed and why, and the final text.
    if db.scalar(select(Consultation.id).where(Consultation.slug == "office-hours")) is None:
        c2 = service.create_consultation(
            db, organization=sso, slug="office-hours", kind="standard",
            title_fa="استاندارد ساعت کار دفترهای خدمات", title_en="Standard for service office hours",
            summary_fa="ساعت کار دفترهای پیشخوان.", summary_en="Opening hours of service offices.",
            phases=_phases(10), sections=[
                {"heading_fa": "ساعت کار", "heading_en": "Hours",
                 "body_fa": "دفترها از شنبه تا چهارشنبه از ساعت ۸ تا ۱۴ باز هستند.",
                 "body_en": "Offices open Saturday to Wednesday from 8 to 14."}])
        note = service.post_comment(db, account=residents[0], subject_kind="consultation", subject_id=c2.id,
                                    body="کارگران فقط پنجشنبه‌ها وقت دارند؛ پنجشنبه هم باز باشد.")
        # Move this consultation's history back: it ran last month and is now in its decision phase.
        for phase, starts in _phases(55).items():
            setattr(c2, f"{phase}_starts_at", starts)
        note.created_at = clock.now() - dt.timedelta(days=40)
        service.publish_response(
            db, c2, response_fa="۲۳ نظر رسید؛ بیشتر آن‌ها پنجشنبه را خواستند.",
            response_en="23 comments arrived; most asked for Thursdays.",
            changes=[{"section": 1, "text_fa": "پنجشنبه‌ها تا ساعت ۱۲ به ساعت کار افزوده شد.",
                      "text_en": "Thursdays until 12 were added to the opening hours.", "comment_ids": [note.id]}],
            actor_id=None)
        service.publish_final_version(db, c2, [{
            "number": 1,
            "body_fa": "دفترها از شنبه تا چهارشنبه از ساعت ۸ تا ۱۴ و پنجشنبه‌ها از ۸ تا ۱۲ باز هستند.",
            "body_en": "Offices open Saturday to Wednesday from 8 to 14 and on Thursdays from 8 to 12."}],
            actor_id=None)

    if db.scalar(select(Poll.id).where(Poll.slug == "evening-hours")) is None:
        poll = service.create_poll(
            db, organization=sso, slug="evening-hours", question_fa="آیا دفترها یک عصر در هفته باز باشند؟",
            question_en="Should offices open one evening a week?",
            options=[("بله", "Yes"), ("خیر", "No"), ("فرقی نمی‌کند", "No preference")],
            opens_at=clock.now() - dt.timedelta(days=2), closes_at=clock.now() + dt.timedelta(days=12))
        for voter in residents[:5]:
            service.vote_in_poll(db, poll, voter, rng.choice([1, 1, 2, 3]))

    if db.scalar(select(Budget.id).where(Budget.slug == "tehran-2026")) is None:
        service.create_budget(
            db, organization=organization_by_code(db, "thr-city"), slug="tehran-2026",
            title_fa="بودجهٔ مشارکتی محله‌های تهران ۱۴۰۵", title_en="Tehran neighbourhood participatory budget 2026",
            total=50_000_000_000, style="knapsack", projects=[
                ("بازسازی پارک محله", "Neighbourhood park renovation", 20_000_000_000),
                ("پیاده‌روی امن تا مدرسه", "Safe walking routes to school", 15_000_000_000),
                ("کتابخانهٔ محله", "Neighbourhood library", 18_000_000_000),
                ("ایستگاه دوچرخهٔ عمومی", "Public bicycle stations", 8_000_000_000),
                ("روشنایی کوچه‌ها", "Street lighting", 6_000_000_000),
            ], opens_at=clock.now() - dt.timedelta(days=1), closes_at=clock.now() + dt.timedelta(days=20))

    if db.scalar(select(Petition.id).where(Petition.title == "Open service offices on Thursdays")) is None \
            and residents:
        petition = service.create_petition(
            db, account=residents[0], organization=sso, title="Open service offices on Thursdays",
            body="Many workers cannot take a weekday off. Please open the service offices on Thursday mornings.",
            threshold=5, response_days=30)
        for signer in residents[1:5]:
            service.sign_petition(db, petition, signer)

    item_exists = select(AccountabilityItem.id).where(AccountabilityItem.title_en == "Online pension requests")
    if db.scalar(item_exists) is None:
        linked = db.scalar(select(Consultation.id).where(Consultation.slug == "office-hours"))
        today = clock.today()
        item = service.create_item(
            db, organization=sso, kind="project", title_fa="درخواست برخط مستمری", title_en="Online pension requests",
            description_fa="درخواست مستمری بدون مراجعهٔ حضوری.",
            description_en="Pension requests without visiting an office.",
            deadline=today + dt.timedelta(days=60), consultation_id=linked, milestones=[
                ("طراحی فرم", "Form design", today - dt.timedelta(days=40)),
                ("اتصال به ثبت احوال", "Link to the civil registry", today - dt.timedelta(days=10)),
                ("آزمون با مردم", "Testing with citizens", today + dt.timedelta(days=30)),
            ])
        service.update_item(db, item, status="in_progress", progress=35, completed_milestones=[item.milestones[0].id],
                            actor_id=None)

    service.define_survey(db, key="services.feedback", title_fa="بازخورد خدمت", title_en="Service feedback", questions=[
        {"key": "ease", "kind": "scale", "text_fa": "انجام این خدمت چقدر آسان بود؟",
         "text_en": "How easy was this service?", "required": True},
        {"key": "note", "kind": "text", "text_fa": "چه چیزی را بهتر کنیم؟", "text_en": "What should we improve?"},
    ])


demo.register("participation", load, order=60)
