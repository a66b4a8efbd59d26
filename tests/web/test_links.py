"""Links sent out point at the server people reach: ``smartgov serve --port`` on a port of its own, no
SMARTGOV_BASE_URL, and the e-mail, the SMS, the document's JSON and its QR code all name that port."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from smartgov.settings import Settings, derived_base_url, public_url
from tests.factories import PASSWORD, sent_mail
from tests.services.helpers import PDF, address_answers, arrange


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int, settings: Settings) -> subprocess.Popen[str]:
    """``smartgov serve`` as a person starts it in development: no base URL, a port of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTGOV_")}
    env.update(SMARTGOV_ENVIRONMENT="development", SMARTGOV_DATABASE_URL=settings.database_url,
               SMARTGOV_DATA_DIR=str(settings.data_dir), SMARTGOV_SECRET_KEY=settings.secret_key.get_secret_value(),
               SMARTGOV_ARGON2_TIME_COST="1", SMARTGOV_ARGON2_MEMORY_KIB="1024")
    proc = subprocess.Popen([sys.executable, "-m", "smartgov.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:  # blocks until uvicorn says it listens (or the process ends)
        seen.append(line)
        if "Uvicorn running on" in line:
            return proc
    raise AssertionError("the server did not start:\n" + "".join(seen))


def test_links_in_mail_sms_and_documents_name_the_port_the_server_runs_on(database, db, settings) -> None:  # type: ignore[no-untyped-def]
    from smartgov.events import drain_outbox

    accounts = arrange(db)
    db.commit()
    port = _free_port()
    assert port != 8000
    base = f"http://127.0.0.1:{port}"
    proc = _serve(port, settings)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            token = http.post("/api/v1/identity/tokens", json={"username": "citizen1", "password": PASSWORD,
                                                                "scopes": ["read", "write"]}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            proof = http.post("/api/v1/services/files", headers=auth, files={"file": ("bill.pdf", PDF, "application/pdf")},
                              data={"service_id": "address-change", "field": "documents.proof_of_address"}).json()
            app = http.post("/api/v1/services/applications", headers=auth, json={
                "service_id": "address-change", "answers": address_answers(accounts["citizen"]),
                "documents": {"proof_of_address": proof}})
            assert app.status_code == 201, app.text
            doc_id = app.json()["issued_documents"][0]["id"]
            record = http.get(f"/api/v1/services/documents/{doc_id}", headers=auth).json()
            pdf = http.get(f"/api/v1/services/documents/{doc_id}/pdf", headers=auth)
            assert pdf.status_code == 200
            verify_url = f"{base}/verify/{doc_id}"
            assert record["document"]["verify_url"] == verify_url
            assert http.get(verify_url.removeprefix(base)).status_code == 200  # the link works
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    drain_outbox(database)  # what the server queued, delivered as the worker would
    mails = "\n".join(body for _to, _subject, body in sent_mail(settings.data_dir))
    assert f"{base}/services/applications/{app.json()['reference']}" in mails and verify_url in mails
    sms = [json.loads(p.read_text())["text"] for p in Path(settings.data_dir, "sms").glob("*.json")]
    assert sms and any(verify_url in text for text in sms)
    assert "127.0.0.1:8000" not in mails + "".join(sms)
    assert _qr_of(pdf.content) == _qr_image(verify_url)


def _qr_of(pdf: bytes) -> bytes:
    """The pixels of the one image on the document's page: its QR code."""
    from pypdf import PdfReader

    (image,) = PdfReader(io.BytesIO(pdf)).pages[0].images
    return image.image.convert("L").tobytes()


def _qr_image(url: str) -> bytes:
    """The pixels of the QR code the document must carry for ``url`` (as ``render_pdf`` draws it)."""
    import segno
    from PIL import Image

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return Image.open(io.BytesIO(out.getvalue())).convert("L").tobytes()


def test_development_derives_the_base_url_and_production_refuses_to_guess(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from smartgov import settings as settings_module
    from smartgov.cli import app as cli

    assert derived_base_url("127.0.0.1", 8765) == "http://127.0.0.1:8765"
    assert derived_base_url("0.0.0.0", 80) == "http://127.0.0.1:80"  # noqa: S104 - a wildcard is reached on loopback
    assert derived_base_url("::1", 9000) == "http://[::1]:9000"
    monkeypatch.setattr(settings_module, "_current", Settings(base_url="https://gov.example.ir/portal/"))
    assert public_url("/verify/abc") == "https://gov.example.ir/portal/verify/abc"
    with pytest.raises(ValidationError, match="SMARTGOV_BASE_URL"):
        Settings(base_url="gov.example.ir")
    monkeypatch.delenv("SMARTGOV_BASE_URL", raising=False)
    monkeypatch.setattr(settings_module, "_current", None)
    result = CliRunner().invoke(cli, ["serve"], env={"SMARTGOV_ENVIRONMENT": "production",
                                                      "SMARTGOV_SECRET_KEY": "x" * 40,
                                                      "SMARTGOV_SESSION_COOKIE_SECURE": "true"})
    assert result.exit_code == 2
    assert "SMARTGOV_BASE_URL must be set to the platform's public https:// address" in result.output
    monkeypatch.setattr(settings_module, "_current", None)
