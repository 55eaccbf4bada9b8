"""Referrals in a real browser (Debian's Chromium, driven by Playwright) against ``hotline demo``.

(a) An agent opens a demo case, records the caller's consent (given on a callback), reads the
suggested partners and why, drafts a referral and sends it; the section fits a 360 px phone.
(b) The partner opens the signed link from the SMS (the token is minted here for the link row
the send created): the page shows the reference, category, region, what is needed and the
agent, nothing of the caller; the partner accepts with a note, then completes, and the link
is spent. Screenshots of both go to docs/screenshots/ (docs/referrals.md, "Screens").
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from hotline.referrals.links import token_for
from tests.e2e.test_console_browser import ARGS, CHROMIUM, SHOTS
from tests.fixtures.servers import HOTLINE, free_port, token, wait_ready

SECRET = "e2e-referrals-secret-key-0123456789abcdef"
AGENT = ("agent.littoral", "demo-agent-1503")
NEEDS = "Mise à l'abri de l'enfant ce soir et audition par la brigade des mineurs."
# What the demo caller wrote and the number they wrote from (hotline/demo.py): never on the link's page.
CALLER_WORDS = ("fillette", "ménage jour et nuit", "+237690000001", "690000001")


class Demo:
    def __init__(self, url: str, database: Path) -> None:
        self.url = url
        self.database = database

    def api(self) -> dict[str, str]:
        return token(self.url, *AGENT)

    def littoral_case(self, seconds: float = 60) -> dict[str, Any]:
        """The demo report from Bonabéri (a child, Littoral), once the worker has triaged it."""
        headers = self.api()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            items = httpx.get(f"{self.url}/api/v1/cases", headers=headers).json()["items"]
            found = [c for c in items if c.get("region") == "Littoral"]
            if found:
                return dict(found[0])
            time.sleep(0.3)
        raise AssertionError("the demo's Littoral report never became a case")

    def link_tokens(self, referral_id: str, seconds: float = 10) -> list[str]:
        """Tokens for the links the send created, as the partner got them by SMS."""
        deadline = time.monotonic() + seconds
        rows: list[tuple[str]] = []
        while not rows and time.monotonic() < deadline:
            with sqlite3.connect(self.database) as db:  # the server may still be committing
                rows = db.execute(
                    "SELECT id FROM referral_links WHERE referral_id = ? ORDER BY created_at",
                    (uuid.UUID(referral_id).hex,),
                ).fetchall()
            time.sleep(0.1)
        return [token_for(SECRET, uuid.UUID(str(row[0]))) for row in rows]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("referrals-e2e")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp / "e2e.sqlite3"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env = {
        **clean,
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "HOTLINE_SPOOL_DIR": str(tmp / "spool"),
        "HOTLINE_PUBLIC_BASE_URL": url,
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_LOG_JSON": "true",
    }
    with (tmp / "demo.log").open("wb") as log:
        proc = subprocess.Popen([*HOTLINE, "demo", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        wait_ready(url, proc, seconds=90)
        yield Demo(url, database)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: .ci/run installs it"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def sign_in(context: BrowserContext, url: str, username: str, password: str) -> Page:
    page = context.new_page()
    page.goto(f"{url}/console/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="File des cas")).to_be_visible()
    return page


def test_an_agent_records_consent_reads_the_suggestions_drafts_and_sends(
    demo: Demo, browser: Browser
) -> None:
    case = demo.littoral_case()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = sign_in(context, demo.url, *AGENT)
    page.goto(f"{demo.url}/console/cases/{case['id']}")
    section = page.locator("section#referrals")
    # htmx loads the section after the page: the consent, then the suggestions.
    expect(section.get_by_role("heading", name="Consentement au partage")).to_be_visible()
    expect(section.locator("[data-consent]")).to_have_attribute("data-consent", "unknown")

    # On a callback the caller agreed: the agent records it.
    section.get_by_role("button", name="L'appelant accepte le partage").click()
    expect(section.get_by_role("status")).to_contain_text("Réponse de l'appelant enregistrée")
    expect(section.locator("[data-consent]")).to_contain_text("L'appelant a accepté")

    # Suggestions, best first, each with its reasons.
    first = section.locator("li.suggestion").first
    expect(first).to_contain_text("points")
    expect(first.locator("ul.reasons li").first).to_be_visible()
    expect(section.locator("li.suggestion").filter(has_text="covers Littoral").first).to_be_visible()

    # Draft: the best partner's vetted contact is chosen; the warning sits by the text box.
    target = section.get_by_label("Partenaire et contact vérifié")
    expect(target).to_be_visible()
    needs = section.get_by_label("Ce qui est demandé au partenaire")
    expect(needs).to_have_attribute("aria-describedby", "ref-needs-warning")
    expect(section.locator("#ref-needs-warning")).to_contain_text("N'écrivez ni le nom ni le numéro")
    needs.fill(NEEDS)
    section.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(section.get_by_role("status")).to_contain_text("Brouillon enregistré")
    draft = section.locator("article.referral").first
    expect(draft).to_have_attribute("data-status", "draft")

    draft.get_by_role("button", name=re.compile("Envoyer au partenaire")).click()
    expect(section.get_by_role("status")).to_contain_text("Orientation envoyée")
    sent = section.locator("article.referral").first
    expect(sent).to_have_attribute("data-status", "sent")
    expect(sent.locator('[data-shared="reference"]')).to_have_text(str(case["reference"]))
    expect(sent.locator('[data-shared="needs"]')).to_have_text(NEEDS)
    expect(sent).to_contain_text("par sms")
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(SHOTS / "case-referrals.png"))

    # The keyboard reaches the moves; the overdue list is one link away.
    sent.get_by_label("Note (facultatif)").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent").startswith("Noter : acceptée")
    expect(page.get_by_role("link", name="Orientations en retard")).to_be_visible()

    phone = browser.new_context(viewport={"width": 360, "height": 780}, locale="fr-FR", is_mobile=True)
    small = sign_in(phone, demo.url, *AGENT)
    small.goto(f"{demo.url}/console/cases/{case['id']}")
    expect(small.locator("section#referrals article.referral").first).to_be_visible()
    width = small.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the case page scrolls sideways on a 360 px phone ({width} px)"
    phone.close()
    context.close()


def _sent_referral(demo: Demo) -> tuple[dict[str, Any], str]:
    """A referral sent through the API, as the console would (consent recorded, draft, send)."""
    case = demo.littoral_case()
    headers = demo.api()
    base = f"{demo.url}/api/v1/cases/{case['id']}"
    assert httpx.post(f"{base}/consent", json={"given": True}, headers=headers).status_code == 200
    suggestion = next(
        s for s in httpx.get(f"{base}/partner-suggestions", headers=headers).json() if s["sendable"]
    )
    contact = next(c for c in suggestion["partner"]["contacts"] if c["vetted"] and c["sms"])
    drafted = httpx.post(
        f"{base}/referrals",
        json={"partner_id": suggestion["partner"]["id"], "contact_id": contact["id"], "needs": NEEDS},
        headers=headers,
    )
    assert drafted.status_code == 201, drafted.text
    referral_id = drafted.json()["id"]
    sent = httpx.post(f"{demo.url}/api/v1/referrals/{referral_id}/send", json={}, headers=headers)
    assert sent.status_code == 200, sent.text
    return case, referral_id


def test_the_partner_answers_through_the_link_which_then_is_spent(demo: Demo, browser: Browser) -> None:
    case, referral_id = _sent_referral(demo)
    (link,) = demo.link_tokens(referral_id)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True)
    page = context.new_page()
    response = page.goto(f"{demo.url}/r/{link}")
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    expect(page.locator('[data-field="reference"]')).to_have_text(str(case["reference"]))
    expect(page.locator('[data-field="category"]')).to_contain_text("Traite")
    expect(page.locator('[data-field="region"]')).to_have_text("Littoral")
    expect(page.locator('[data-field="needs"]')).to_have_text(NEEDS)
    expect(page.locator('[data-field="agent"]')).to_contain_text("agent.littoral")
    fields = page.locator("[data-field]").evaluate_all("els => els.map(e => e.dataset.field)")
    assert fields == ["reference", "category", "region", "needs", "agent", "status"]
    content = page.content()
    for words in CALLER_WORDS:
        assert words not in content, f"the caller's {words!r} reached the partner's page"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the partner's page scrolls sideways on a phone ({width} px)"
    page.screenshot(path=str(SHOTS / "partner-page.png"), full_page=True)

    page.get_by_label("Note (facultatif / optional)").fill("Nous prenons en charge ce soir.")
    page.get_by_role("button", name="Accepter / Accept").click()
    expect(page.locator("[data-status]")).to_have_text("accepted")
    expect(page.locator('[data-field="note"]')).to_have_text("Nous prenons en charge ce soir.")
    expect(page.get_by_role("button", name="Refuser / Decline")).to_have_count(0)

    page.get_by_role("button", name="Terminé / Completed").click()
    expect(page.locator('[data-state="spent"]')).to_contain_text("completed")
    spent = page.content()
    for shown in (str(case["reference"]), NEEDS, "Littoral", "agent.littoral"):
        assert shown not in spent, f"a spent link still shows {shown!r}"
    again = page.goto(f"{demo.url}/r/{link}")
    assert again is not None and again.status == 410
    expect(page.get_by_role("heading")).to_have_text("Merci / Thank you")
    assert page.locator("form").count() == 0
    context.close()

    # The agent sees the partner's answers on the case.
    agent = browser.new_context(locale="fr-FR")
    console = sign_in(agent, demo.url, *AGENT)
    console.goto(f"{demo.url}/console/cases/{case['id']}")
    done = console.locator(f"#referral-{referral_id}")
    expect(done).to_have_attribute("data-status", "completed")
    expect(done).to_contain_text("Nous prenons en charge ce soir.")
    agent.close()


if sys.platform != "linux":  # pragma: no cover - Debian's chromium path
    raise RuntimeError("the browser tests run on Linux with /usr/bin/chromium")
