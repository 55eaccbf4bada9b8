"""The training room in a real browser (Debian's Chromium) against ``hotline demo --training``.

A trainee texts the line from the practice phone, the case appears in the console queue marked
TRAINING (FORMATION), and the trainee acknowledges it. Screenshots: docs/screenshots/training-*.png.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_console_browser import SHOTS, browser, on_call_now, sign_in
from tests.test_cli import HOTLINE, free_port, wait_ready

__all__ = ["browser"]  # the e2e fixture: Debian's chromium with the e2e launch arguments

TEXT = (
    "Bonsoir, une fillette de 12 ans à Bonabéri (Douala) fait le ménage jour et nuit chez ma voisine, "
    "jamais payée, elle ne va pas à l'école."
)


@pytest.fixture
def training_demo(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env = {
        **clean,
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'training.sqlite3'}",
        "HOTLINE_SPOOL_DIR": str(tmp_path / "spool"),
        "HOTLINE_PUBLIC_BASE_URL": url,
        "HOTLINE_LOG_JSON": "true",
    }
    with (tmp_path / "demo.log").open("wb") as log:
        proc = subprocess.Popen(
            [*HOTLINE, "demo", "--training", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    try:
        wait_ready(url, proc, seconds=90)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    logged = (tmp_path / "demo.log").read_text(encoding="utf-8", errors="replace")
    assert "Bonab" not in logged, "caller words in the logs"
    # Any practice number (+237 6900xxxxx) standing alone (not digits inside a UUID or a
    # timestamp), in the log events; the start-up banner's usage example is not a caller.
    events = "\n".join(line for line in logged.splitlines() if line.startswith("{"))
    assert '"sms.received"' in events, "the demo's log events were not captured"
    assert re.search(r"(?<![\w-])(?:\+?237)?6900\d{5}(?!\w)", events) is None, "a number in the logs"


def test_a_trainee_texts_the_line_and_acknowledges_the_training_case(
    training_demo: str, browser: Browser
) -> None:
    url = training_demo
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = sign_in(context, url, on_call_now(), "demo-agent-1503")
    expect(page.get_by_role("heading", name="File des cas")).to_be_visible()

    page.goto(f"{url}/training/phone")
    expect(page.get_by_role("heading", name=re.compile("Téléphone d'entraînement"))).to_be_visible()
    page.get_by_role("button", name="Appeler le 1503").click()
    expect(page.locator("#ivr-lines li.line").first).to_be_visible()
    page.locator(".keypad").get_by_role("button", name="1", exact=True).click()  # français
    expect(page.locator("#ivr-lines li.you")).to_contain_text("1")
    page.get_by_label("Votre SMS").fill(TEXT)
    page.get_by_role("button", name="Envoyer").click()
    reply = page.locator("#sms-lines li.sms_in").last
    expect(reply).to_contain_text("Ref ")
    found = re.search(r"Ref (\d{8})", reply.inner_text())
    assert found, reply.inner_text()
    reference = found.group(1)
    page.screenshot(path=str(SHOTS / "training-phone.png"), full_page=True)
    page.get_by_role("button", name="Raccrocher").click()

    page.goto(f"{url}/console/")
    row = page.locator(f'tr[data-reference="{reference}"]')
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("FORMATION")
    expect(row).to_contain_text("critique")
    page.screenshot(path=str(SHOTS / "training-queue.png"), full_page=True)

    row.get_by_role("link", name=reference).click()
    expect(page.get_by_role("heading", name=re.compile(reference))).to_contain_text("FORMATION")
    page.get_by_role("button", name="Prendre en compte").click()
    expect(page.locator("#status")).to_contain_text("pris en compte")
    page.screenshot(path=str(SHOTS / "training-case.png"), full_page=True)
    context.close()
