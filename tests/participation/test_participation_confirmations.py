"""Every action confirms what happened: a signed petition says so and offers no second signature; a
wrong poll name in the receipt checker or the board gets a page that says where the right one is."""

from __future__ import annotations

from sqlalchemy import func, select

from smartgov.participation import service
from smartgov.participation.models import Signature
from tests.factories import PASSWORD, csrf_of
from tests.participation.helpers import agency, citizen


def _sign_in(client, username: str) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/",
                                    "csrf_token": csrf_of(client.get("/login").text)}, follow_redirects=False)
    assert r.status_code == 303


def test_a_petition_shows_you_signed_it_and_does_not_offer_to_sign_again(client, db) -> None:  # type: ignore[no-untyped-def]
    p = service.create_petition(db, account=citizen(db, "author"), organization=agency(db),
                                title="Thursday offices", body="Please open the offices on Thursdays for workers.",
                                threshold=100, response_days=7)
    neighbour = citizen(db, "neighbour")
    db.commit()
    _sign_in(client, "neighbour")
    page = client.get(f"/participation/petitions/{p.id}").text
    assert f'action="/participation/petitions/{p.id}/sign"' in page  # not signed yet: offered
    r = client.post(f"/participation/petitions/{p.id}/sign", data={"csrf_token": csrf_of(page)},
                    follow_redirects=False)
    assert r.status_code == 303 and "signed=1" in r.headers["location"]
    page = client.get(r.headers["location"]).text
    assert "سپاس: امضای شما افزوده شد." in page and "شما این دادخواست را در" in page
    assert f'action="/participation/petitions/{p.id}/sign"' not in page  # no second signature offered
    again = client.get(f"/participation/petitions/{p.id}?lang=en").text
    assert "You signed this petition on" in again and "Thank you" not in again
    assert db.scalar(select(func.count()).select_from(Signature).where(
        Signature.petition_id == p.id, Signature.person_id == neighbour.person_id)) == 1
    # somebody who has not signed still sees the button
    citizen(db, "passer-by")
    db.commit()
    client.cookies.clear()
    _sign_in(client, "passer-by")
    page = client.get(f"/participation/petitions/{p.id}").text
    assert f'action="/participation/petitions/{p.id}/sign"' in page and "شما این دادخواست را در" not in page


def test_a_wrong_poll_name_gets_a_helpful_page_not_a_bare_404(client, db) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/participation/receipts", params={"box": "poll", "ref": "no-such-poll", "code": "abc123",
                                                      "lang": "en"})
    assert r.status_code == 404
    assert "No poll or participatory budget has this number or short name" in r.text
    assert 'href="#f-ref"' in r.text and 'value="no-such-poll"' in r.text  # the form, kept, to try again
    board = client.get("/participation/polls/no-such-poll/board", params={"lang": "en"})
    assert board.status_code == 404 and "Copy it from the address of its page" in board.text
    assert "Check a vote receipt" in board.text
