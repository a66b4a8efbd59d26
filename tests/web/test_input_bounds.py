"""What the database cannot hold is refused at the edge with a 422 naming the field, never a 500.

Numbers past a column's range (``web.fields``: ids are INTEGER, money and log positions BIGINT)
and text with a NUL byte or a lone surrogate, in any part of a request: path, query, JSON body,
form. Each case here once reached the database (``NumericValueOutOfRange``, "cannot contain NUL").
"""

from __future__ import annotations

from sqlalchemy import func, select

from smartgov.identity.models import ApiToken
from smartgov.web.fields import INT4_MAX, INT8_MAX
from tests.factories import PASSWORD, api_token, auth, create_account, csrf_of, page_login

NUL_MESSAGE_EN = "This value contains a character that cannot be stored (such as a NUL byte)."


def _citizen_token(client, database) -> str:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        account = create_account(db, username="maryam")
    return api_token(client, account)


def test_ids_past_an_integer_column_are_refused_naming_the_field(client, database) -> None:  # type: ignore[no-untyped-def]
    headers = {**auth(_citizen_token(client, database)), "Accept-Language": "en"}
    for method, url, body, field in [
        ("GET", f"/api/v1/participation/proposals/{INT4_MAX + 1}", None, "proposal_id"),
        ("GET", f"/api/v1/participation/comments?subject_kind=proposal&subject_id={2**63}", None, "subject_id"),
        ("POST", "/api/v1/participation/comments",
         {"subject_kind": "proposal", "subject_id": 1, "parent_id": 2**64, "body": "hello there"}, "parent_id"),
        ("POST", "/api/v1/participation/follows", {"subject_kind": "petition", "subject_id": 0}, "subject_id"),
        ("GET", f"/api/v1/ledger/entries/{INT8_MAX + 1}", None, "index"),
        ("GET", f"/api/v1/ledger/proofs/consistency?first={INT8_MAX + 1}", None, "first"),
    ]:
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code == 422, (url, r.text)
        error = r.json()["error"]
        assert error["code"] == "invalid_input" and error["field"] == field, (url, error)
    # the largest id is a fine id: there is just no such proposal
    assert client.get(f"/api/v1/participation/proposals/{INT4_MAX}", headers=headers).status_code == 404


def test_a_page_number_or_id_past_the_range_is_a_refusal_page(client, database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        account = create_account(db, username="maryam")
    page_login(client, account)
    assert client.get("/account/data-access?page=99999999999999999999").status_code == 400
    assert client.get(f"/participation/proposals/{INT4_MAX + 1}").status_code == 400
    assert client.get("/ledger?page=0").status_code == 400


def test_nul_anywhere_in_a_request_is_refused_naming_the_field(client, database) -> None:  # type: ignore[no-untyped-def]
    headers = {**auth(_citizen_token(client, database)), "Accept-Language": "en"}
    cases = [
        client.get("/api/v1/services/catalog?q=pension%00", headers=headers),
        client.get("/api/v1/services/catalog/pension%00", headers=headers),
        client.post("/api/v1/participation/comments", headers=headers,
                    json={"subject_kind": "proposal", "subject_id": 1, "body": "a\u0000b"}),
        client.put("/api/v1/services/drafts/pension", headers=headers,
                   json={"answers": {"reason": ["fine", "bad\u0000"]}}),
    ]
    fields = ["q", "service_id", "body", "answers.reason.1"]
    for r, field in zip(cases, fields, strict=True):
        assert r.status_code == 422, r.text
        assert r.json()["error"] == {"code": "unstorable_character", "message": NUL_MESSAGE_EN, "field": field}
    persian = client.get("/api/v1/services/catalog?q=%00", headers={**headers, "Accept-Language": "fa"}).json()
    assert persian["error"]["message"].startswith("این مقدار") and persian["error"]["field"] == "q"


def test_a_lone_surrogate_is_refused_and_an_emoji_is_text(client, database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as db:
        create_account(db, username="maryam")
    headers = {"Accept-Language": "en", "Content-Type": "application/json"}
    login = b'{"username": "maryam", "password": "%s", "name": "%s"}'
    lone = client.post("/api/v1/identity/tokens", headers=headers, content=login % (PASSWORD.encode(), b"a\\ud800"))
    assert lone.status_code == 422 and lone.json()["error"]["field"] == "name"
    emoji = client.post("/api/v1/identity/tokens", headers=headers,
                        content=login % (PASSWORD.encode(), b"phone \\ud83d\\ude00"))  # an escaped pair: one emoji
    assert emoji.status_code == 201 and emoji.json()["name"] == "phone \U0001f600"
    assert client.get("/api/v1/services/catalog?q=%F0%9F%98%80", headers=headers).status_code == 200


def test_nul_in_a_page_form_is_refused_before_anything_is_stored(client, database, db) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        account = create_account(session, username="maryam")
    page_login(client, account, "/account")
    token = csrf_of(client.get("/account").text)
    r = client.post("/account/tokens", data={"csrf_token": token, "name": "bad\x00name"})
    assert r.status_code == 422 and "NUL" in r.text
    assert db.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_the_openapi_declares_the_error_envelope_for_every_refusal(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            assert operation["responses"]["4XX"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorEnvelope"}, (method, path)


def test_ids_typed_into_page_forms_past_the_range_are_not_found(client, database) -> None:  # type: ignore[no-untyped-def]
    with database.unit_of_work() as session:
        account = create_account(session, username="maryam")
    page_login(client, account, "/account")
    token = csrf_of(client.get("/account").text)
    # A number past the range names nothing (404); a character that is no digit people write here
    # (a superscript two) is refused as input (422), as everywhere else digits are read.
    for number, status in ((str(INT4_MAX + 1), 404), (str(2**70), 404), ("0", 404), ("²", 422)):
        for url, data in [("/participation/follow", {"subject_kind": "petition", "subject_id": number}),
                          ("/participation/report", {"kind": "comment", "id": number, "reason": "spam"}),
                          ("/participation/comments", {"subject_kind": "petition", "subject_id": number,
                                                       "body": "a comment"})]:
            r = client.post(url, data={"csrf_token": token, **data})
            assert r.status_code == status, (url, number, r.status_code)
