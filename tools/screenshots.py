"""Take the README's tour screenshots from a fresh demo database (`make screenshots`).

Makes a throwaway SQLite database, fills it with the demo article and a small team whose
claims are in every state, serves the app on 127.0.0.1 and photographs the article page,
the claim panel, the queue, the articles and claims lists and the dashboard in Debian's
Chromium at 1400 px and 390 px.
The PNGs land in docs/ (small: 1x scale, palette-friendly flat colours).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
PASSWORD = "screenshots-only-2026"  # noqa: S105  (a throwaway database)
WIDE = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def seed(url: str) -> dict:
    """Fill the database: a team, the demo article, and claims taken through the workflow."""
    from annotator import migrate
    from annotator.db import get_engine, session_scope
    from annotator.services import articles, claims
    from annotator.services import users as user_service

    migrate.upgrade(url)
    engine = get_engine(url)
    text = (ROOT / "annotator" / "demo_article.txt").read_text(encoding="utf-8")
    with session_scope(engine) as s:
        people = {name: user_service.create_user(s, name, role, PASSWORD, display)
                  for name, role, display in [
                      ("maria", "editor", "Maria Lopez"), ("tom", "editor", "Tom Okafor"),
                      ("ines", "reviewer", "Ines Duarte"), ("sam", "reviewer", "Sam Reid")]}
        article = articles.import_article(s, people["maria"], articles.ImportRequest(
            text=text, outlet="Riverton Gazette (demo)", published="2026-05-20"))
        found = articles.article_claims(s, article.id)
        ids = [c.id for c in found]
        ines, maria, tom = people["ines"], people["maria"], people["tom"]

        def work(cid, verdict, conclusion, stance="supports"):
            claims.transition(s, maria, cid, "accept")
            claims.transition(s, maria, cid, "assign", assignee_id=ines.id)
            claims.transition(s, ines, cid, "start")
            claim = claims.get_claim(s, cid)
            claims.update_claim(s, ines, cid, claim.version,
                                {"verdict": verdict, "conclusion": conclusion})
            claims.add_source(s, ines, cid, {
                "url": "https://riverton.example/budget-2026.pdf",
                "title": "Riverton council budget 2026", "publisher": "Riverton council",
                "stance": stance, "excerpt": "Table 4: capital spending by project."})
            claims.transition(s, ines, cid, "submit")

        if len(ids) >= 5:
            work(ids[0], "mostly_true", "The budget shows the figure, rounded up slightly.")
            claims.transition(s, tom, ids[0], "approve")
            work(ids[1], "false", "The council's own table gives less than half of that.",
                 "refutes")
            claims.transition(s, tom, ids[1], "request_changes",
                              comment="Quote the table's row, and add the 2025 figure.")
            work(ids[2], "mixed", "Right about the total, wrong about the year.")
            claims.transition(s, maria, ids[3], "accept")
            claims.transition(s, maria, ids[3], "assign", assignee_id=ines.id)
            claims.transition(s, maria, ids[4], "dismiss")
            claims.add_note(s, maria, ids[2], "@ines the minutes have the vote count too.")
        return {"article": article.id, "claims": ids}


def serve(url: str):
    from werkzeug.serving import make_server

    from annotator import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "screenshots", "LIVE_POLL_SECONDS": 600})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def shoot(base: str, data: dict) -> list[Path]:
    from playwright.sync_api import sync_playwright

    DOCS.mkdir(exist_ok=True)
    out = []
    claim = data["claims"][1] if len(data["claims"]) > 1 else data["claims"][0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for label, viewport in (("1400", WIDE), ("390", PHONE)):
            for who, shots in (("maria", [("article", f"/articles/{data['article']}"),
                                          ("articles", "/"), ("claims", "/claims"),
                                          ("dashboard", "/dashboard")]),
                               ("ines", [("panel", f"/claims/{claim}"), ("queue", "/queue")])):
                context = browser.new_context(viewport=viewport)
                page = context.new_page()
                page.goto(base + "/login")
                page.fill("input[name=username]", who)
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(lambda u: "/login" not in u)
                for name, path in shots:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    target = DOCS / f"{name}-{label}.png"
                    page.screenshot(path=str(target), full_page=False)
                    out.append(target)
                context.close()
        browser.close()
    return out


def main() -> int:
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing (make chromium installs it)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ANNOTATOR_INSTANCE"] = str(Path(tmp) / "instance")
        url = f"sqlite:///{Path(tmp) / 'screens.db'}"
        data = seed(url)
        server, base = serve(url)
        try:
            for path in shoot(base, data):
                print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
