"""Pages: code a sentence without JavaScript, a span with offsets, group into themes, see the network and
saturation; another agency's analyst never sees the project; the CLI round-trips a .qdpx."""

from __future__ import annotations

from typer.testing import CliRunner

from smartgov.insight import service
from tests.factories import csrf_of, page_login

from .factories import TRANSCRIPT, analyst, project


def test_analyst_codes_groups_and_sees_network_and_saturation(client, db) -> None:  # type: ignore[no-untyped-def]
    who = analyst(db)
    p = project(db, who)
    source = service.add_source(db, p, who, "مصاحبهٔ ۱", TRANSCRIPT)
    code = service.create_code(db, p, who, "حکمرانی داده")
    db.commit()
    page_login(client, who.account, f"/insight/projects/{p.id}")
    page = client.get(f"/insight/projects/{p.id}/sources/{source.id}")
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "coding.js" in page.text
    token = csrf_of(page.text)
    url = f"/insight/projects/{p.id}/sources/{source.id}/code"
    assert client.post(url, data={"csrf_token": token, "sentence": "0", "codes": str(code.id)},
                       follow_redirects=False).status_code == 303
    missing = client.post(url, data={"csrf_token": token, "sentence": "1"})
    assert missing.status_code == 422 and "حداقل یک کد" in missing.text
    assert client.post(url, data={"csrf_token": token, "start": "0", "end": "5", "codes": str(code.id)},
                       follow_redirects=False).status_code == 303
    assert len(service.segments(db, p)) == 2
    proj = client.get(f"/insight/projects/{p.id}").text
    token = csrf_of(proj)
    themes = f"/insight/projects/{p.id}/themes"
    client.post(themes, data={"csrf_token": token, "name": "حکمرانی هوشمند", "level": "organizing"})
    organizing = service.themes(db, p)[0]
    r = client.post(themes, data={"csrf_token": token, "name": "حکمرانی داده", "level": "basic",
                                  "parent": str(organizing.id), "codes": str(code.id)}, follow_redirects=False)
    assert r.status_code == 303
    net = client.get(f"/insight/projects/{p.id}/network").text
    assert "<svg" in net and "حکمرانی هوشمند" in net
    sat = client.get(f"/insight/projects/{p.id}/saturation").text
    assert "chart-saturation" in sat and "۱" in sat
    export = client.get(f"/insight/projects/{p.id}/export.qdpx")
    assert export.status_code == 200 and export.content[:2] == b"PK"


def test_one_agency_never_sees_anothers_project(client, db) -> None:  # type: ignore[no-untyped-def]
    owner = analyst(db, "owner", "agency-a")
    p = project(db, owner)
    source = service.add_source(db, p, owner, "Interview", TRANSCRIPT)
    other = analyst(db, "outsider", "agency-b")
    db.commit()
    page_login(client, other.account, "/insight")
    assert "CSF interviews" not in client.get("/insight").text
    for url in (f"/insight/projects/{p.id}", f"/insight/projects/{p.id}/sources/{source.id}",
                f"/insight/projects/{p.id}/network", f"/insight/projects/{p.id}/export.qdpx"):
        assert client.get(url).status_code == 404, url
    assert service.projects_for(db, other) == []


def test_cli_exports_and_imports(db, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from smartgov.cli import app

    who = analyst(db)
    p = project(db, who)
    service.add_source(db, p, who, "Interview", TRANSCRIPT)
    db.commit()
    target = tmp_path / "p.qdpx"
    runner = CliRunner()
    result = runner.invoke(app, ["insight", "export", "CSF interviews", str(target)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["insight", "import", str(target), "--project", "Copy", "--agency", "agency-a"])
    assert result.exit_code == 0, result.output
    assert "1 sources" in result.output
