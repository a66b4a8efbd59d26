"""Participation's part of a person's home page: what they follow, the petitions they signed and
the polls they voted in (that they voted, never how: ballots are secret, ``README.md``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartgov.errors import NotFound
from smartgov.i18n import N_, get_language, gettext

if TYPE_CHECKING:
    from smartgov.identity import Principal
from smartgov.web.panels import Panel, Row

from .models import Follow, Petition, Poll, Signature, Voter
from .pages import PETITION_STATES
from .service import petition_state
from .service.common import subject_link, subject_of

SHOWN = 6
KIND_LABELS = {"consultation": N_("Consultation"), "proposal": N_("Proposal"),
               "accountability": N_("Decision being followed up"), "petition": N_("Petition")}


def _title(subject: object, lang: str) -> str:
    title = subject.title
    return title(lang) if callable(title) else str(title)


def home_panel(db: Session, principal: Principal) -> list[Panel]:
    """The caller's own follows, signatures and votes; nothing of anyone else's."""
    lang = get_language()
    rows: list[Row] = []
    for f in db.scalars(select(Follow).where(Follow.account_id == principal.id)
                        .order_by(Follow.created_at.desc()).limit(SHOWN)):
        try:
            subject = subject_of(db, f.subject_kind, f.subject_id)
        except NotFound:  # a followed item that was removed is simply not shown
            continue
        rows.append(Row(_title(subject, lang), subject_link(f.subject_kind, subject),
                        status=gettext(KIND_LABELS.get(f.subject_kind, "Consultation")),
                        when=f.created_at, when_label=gettext("Following since")))
    person_id = principal.account.person_id
    if person_id is not None:
        for p in db.scalars(select(Petition).join(Signature, Signature.petition_id == Petition.id)
                            .where(Signature.person_id == person_id).order_by(Signature.id.desc()).limit(SHOWN)):
            rows.append(Row(p.title, f"/participation/petitions/{p.id}",
                            status=gettext("You signed; {state}", state=gettext(PETITION_STATES[petition_state(p)]))))
        for poll in db.scalars(select(Poll).join(Voter, (Voter.box_id == Poll.id) & (Voter.box_kind == "poll"))
                               .where(Voter.person_id == person_id).order_by(Poll.closes_at.desc()).limit(SHOWN)):
            rows.append(Row(poll.question_fa if lang == "fa" else poll.question_en,
                            f"/participation/polls/{poll.slug}", status=gettext("You voted"),
                            when=poll.closes_at, when_label=gettext("Closes")))
    return [Panel("participation", gettext("Consultations, petitions and polls you take part in"), rows,
                  empty=gettext("You follow nothing yet: follow a consultation or a petition to hear of it here."),
                  more_href="/participation", more_text=gettext("See what is open for you to join"), order=50)]
