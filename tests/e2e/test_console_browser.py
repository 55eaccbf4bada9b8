"""The console in a real browser (Debian's Chromium, driven by Playwright) against ``hotline demo``.

An agent signs in, sees a new report appear in the queue without reloading after a simulated
SMS, opens it, acknowledges it, adds a note and closes it; an analyst is refused the case page.
Screenshots of the queue and the case go to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from hotline.demo import demo_roster
from hotline.routing.roster import roster_from
from tests.fixtures.servers import HOTLINE, free_port, wait_ready

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REPORT = (
    "Ma soeur de 16 ans est enfermée dans une maison à Douala, le patron a pris son passeport. Aidez-nous"
)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env = {
        **clean,
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.sqlite3'}",
        "HOTLINE_SPOOL_DIR": str(tmp_path / "spool"),
        "HOTLINE_PUBLIC_BASE_URL": url,
        "HOTLINE_LOG_JSON": "true",
    }
    with (tmp_path / "demo.log").open("wb") as log:
        proc = subprocess.Popen([*HOTLINE, "demo", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        wait_ready(url, proc, seconds=90)
        yield url, env
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: .ci/run installs it"
    with sync_playwright() as p:
        # launch() gives each browser a fresh throw-away profile (its own user-data-dir).
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


def on_call_now(region: str = "Littoral") -> str:
    """The demo agent the demo roster alerts first for ``region`` now.

    Only the people a case waits for may acknowledge it, and the two demo agents swap at 07:00
    and 19:00 Douala time; a test that always signed in as one of them failed half the day.
    Within a minute of a handover, wait for it, so the case and the sign-in see the same shift.
    """
    roster = roster_from(demo_roster())
    team = roster.team_for(region)
    assert team is not None
    now = datetime.now(UTC)
    handoff = roster.next_handoff(team, now)
    if handoff is not None and (handoff - now).total_seconds() < 60:
        time.sleep((handoff - now).total_seconds() + 1)
    return roster.on_call(team, "primary", datetime.now(UTC))[0]


def sign_in(context: BrowserContext, url: str, username: str, password: str) -> Page:
    page = context.new_page()
    page.goto(f"{url}/console/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    return page


def test_an_agent_works_a_new_report_end_to_end(demo: tuple[str, dict[str, str]], browser: Browser) -> None:
    url, env = demo
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = sign_in(context, url, on_call_now(), "demo-agent-1503")
    expect(page.get_by_role("heading", name="File des cas")).to_be_visible()
    before = set(
        page.locator("tr[data-reference]").evaluate_all("rows => rows.map(r => r.dataset.reference)")
    )
    # The SSE stream is open before the report arrives: the row must come without a reload.
    page.wait_for_function("() => document.querySelector('[sse-connect]') !== null")
    page.wait_for_timeout(500)
    sent = subprocess.run(
        [*HOTLINE, "simulate", "sms", "--from", "+237690001503", "--body", REPORT, "--url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.wait_for_function(
        "known => [...document.querySelectorAll('tr[data-reference]')]"
        ".some(r => !known.includes(r.dataset.reference))",
        arg=sorted(before),
        timeout=30_000,
    )
    assert navigations == [], "the queue reloaded instead of updating live"
    new_rows = [
        r
        for r in page.locator("tr[data-reference]").evaluate_all("rows => rows.map(r => r.dataset.reference)")
        if r not in before
    ]
    reference = new_rows[0]
    row = page.locator(f'tr[data-reference="{reference}"]')
    expect(row).to_contain_text("critique")
    expect(row.locator("time.countdown")).to_contain_text(re.compile("restant|en retard"))
    page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    row.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=re.compile(reference))).to_be_visible()
    expect(page.locator("mark").first).to_be_visible()  # the triggering words are highlighted
    page.get_by_role("button", name="Prendre en compte").click()
    expect(page.get_by_role("status")).to_contain_text("Fait")
    expect(page.locator("#status")).to_contain_text("pris en compte")
    page.get_by_label("Ajouter une note").fill("Appelé la brigade de gendarmerie de Bonabéri.")
    page.get_by_role("button", name="Ajouter une note").click()
    expect(page.locator(".timeline .entry.note")).to_contain_text("gendarmerie")
    page.screenshot(path=str(SHOTS / "case.png"), full_page=True)

    page.get_by_label("Changer le statut").select_option("closed")
    page.get_by_label("Issue").select_option("referred_partner")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#status")).to_contain_text("clos")
    case_url = page.url.split("?")[0]

    phone = browser.new_context(viewport={"width": 360, "height": 780}, locale="fr-FR", is_mobile=True)
    small = sign_in(phone, url, "agent.littoral", "demo-agent-1503")
    expect(small.get_by_role("heading", name="File des cas")).to_be_visible()
    width = small.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the queue scrolls sideways on a 360 px phone ({width} px)"
    small.screenshot(path=str(SHOTS / "queue-360px.png"), full_page=False)
    phone.close()

    analyst_context = browser.new_context()
    analyst = sign_in(analyst_context, url, "analyst", "demo-analyst-1503")
    response = analyst.goto(case_url)
    assert response is not None and response.status == 403
    expect(analyst.get_by_role("heading")).to_contain_text("rôle")
    assert reference not in analyst.content()
    analyst_context.close()
    context.close()


def test_keyboard_alone_reaches_the_sign_in_form(demo: tuple[str, dict[str, str]], browser: Browser) -> None:
    url, _ = demo
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/console/login")
    first = "() => document.querySelector('a[href], button, input:not([type=hidden]), select, textarea')"
    assert page.evaluate(f"{first}.className") == "skip", "the skip link is the first stop"
    assert page.evaluate("() => document.activeElement.id") == "username", "the username has the focus"
    page.keyboard.type("agent.littoral")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-agent-1503")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="File des cas")).to_be_visible()
    context.close()


if sys.platform != "linux":  # pragma: no cover - Debian's chromium path
    raise RuntimeError("the browser tests run on Linux with /usr/bin/chromium")
