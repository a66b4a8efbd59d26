"""Screenshots of the citizen's home and notification centre for docs/screenshots (``make screenshots``).

Why a script and not a hand-made picture: the README shows what the code draws today, so they are
made again whenever the pages change. It loads the demo into a temporary SQLite database,
delivers the outbox (so the e-mails and SMS the demo sent are in the centre), serves the app on
loopback and has Chromium (Playwright, ``/usr/bin/chromium``) sign in as ``citizen`` and take each
page at a phone's width (390 px) and a desktop's (1280 px), in Persian and English.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--people 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
PAGES = {"home": "/home", "notifications": "/notifications"}
WIDTHS = {390: 844, 1280: 900}
TALLEST = 2600  # px: a long page is cut there (the README shows its top, not twenty messages)
LANGUAGES = ("fa", "en")
#: Demos that put nothing on a citizen's home or in their messages, left out to save minutes.
SKIPPED = ("assessment", "insight", "operations", "analytics", "analytics.forecast", "transparency",
           "transparency.reports")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    parser.add_argument("--people", type=int, default=20, help="insured people in the demo")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing (apt-get install -y chromium)", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="smartgov-shots-"))
    port = _free_port()
    # before smartgov reads its settings: a database of its own, never the developer's var/
    os.environ.update({"SMARTGOV_DATABASE_URL": f"sqlite:///{work / 'demo.db'}", "SMARTGOV_DATA_DIR": str(work),
                       "SMARTGOV_BASE_URL": f"http://127.0.0.1:{port}", "SMARTGOV_ENVIRONMENT": "development"})
    try:
        return _shoot(out, port, args.people)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _shoot(out: Path, port: int, people: int) -> int:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from smartgov import db as kernel_db
    from smartgov import demo, events
    from smartgov.app import create_app
    from smartgov.db import Database
    from smartgov.settings import get_settings

    settings = get_settings()
    kernel_db.migrate(settings.database_url)
    database = Database(settings.database_url)
    demo.load(database, people=people, without=SKIPPED)
    while events.drain_outbox(database):  # the e-mails and SMS land in the notification centre
        pass
    app = create_app(settings, database)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    written = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                                         "--disable-dev-shm-usage"])
            context = browser.new_context(base_url=f"http://127.0.0.1:{port}", viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto("/login?next=/home")
            page.locator("#f-username").fill("citizen")
            page.locator("#f-password").fill(demo.DEMO_PASSWORD)
            page.locator("main").get_by_role("button").first.click()
            page.wait_for_url(lambda url: "/login" not in url)
            for lang in LANGUAGES:
                page.goto(f"/lang/{lang}?next=/home")
                for name, path in PAGES.items():
                    for width, height in WIDTHS.items():
                        page.set_viewport_size({"width": width, "height": height})
                        page.goto(path)
                        page.wait_for_load_state("networkidle")
                        wide = page.evaluate("document.documentElement.scrollWidth")
                        if wide > width:
                            print(f"warning: {path} ({lang}) is {wide} px wide at {width} px", file=sys.stderr)
                        tall = page.evaluate("document.documentElement.scrollHeight")
                        target = out / f"{name}-{lang}-{width}.png"
                        page.screenshot(path=str(target), full_page=True,
                                        clip={"x": 0, "y": 0, "width": width, "height": min(tall, TALLEST)})
                        written.append(target)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        database.dispose()
    for target in written:
        print(target.relative_to(Path.cwd()) if target.is_relative_to(Path.cwd()) else target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
