"""The admin and roster pages in a real browser (Debian's Chromium) against ``hotline demo``.

An admin signs in with the second factor (enrolled at the first sign-in, the code computed
from the key the page shows, as an authenticator app would), creates an account, deactivates
it (the person is refused at sign-in) and reactivates it (the person signs in), and reads the
configuration page. A supervisor opens the roster page. A supervisor and an agent are refused
the admin pages, and the agent the roster page.
"""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.test_console_browser import browser, demo, sign_in

__all__ = ["browser", "demo"]  # the e2e fixtures: Debian's chromium, a `hotline demo` server

NEW_PASSWORD = "nadia-first-password-1503"


def pass_second_factor(page: Page) -> None:
    """First sign-in of a supervisor or admin: the key is shown once, then a code is typed."""
    expect(page.get_by_role("heading", name="Deuxième facteur")).to_be_visible()
    key = page.locator("code.key").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", key), key
    page.get_by_label("Code de vérification (6 chiffres)").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Se connecter").click()


def signed_in(browser: Browser, url: str, username: str, password: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = sign_in(context, url, username, password)
    if username in ("admin", "supervisor"):
        pass_second_factor(page)
    return context, page


def test_an_admin_creates_deactivates_and_reactivates_an_account_and_reads_the_configuration(
    demo: tuple[str, dict[str, str]], browser: Browser
) -> None:
    url, _ = demo
    context, page = signed_in(browser, url, "admin", "demo-admin-1503")
    expect(page.get_by_role("heading", name="File des cas")).to_be_visible()
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", name="Comptes")).to_be_visible()

    form = page.locator("form[action='/console/admin/accounts']")
    form.get_by_label("Identifiant").fill("nadia")
    form.get_by_label("Nom affiché").fill("Nadia N.")
    form.get_by_label("Mot de passe initial (10 caractères au moins)").fill(NEW_PASSWORD)
    form.get_by_label("Rôle").select_option("agent")
    form.get_by_role("group", name="Régions").get_by_label("Littoral").check()
    form.get_by_role("group", name="Langues").get_by_label("fr").check()
    form.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_role("status")).to_contain_text("Compte créé.")
    row = page.locator("#account-nadia")
    expect(row).to_contain_text("Nadia N.")
    expect(row).to_contain_text("Littoral")
    expect(row).to_contain_text("Actif")

    row.get_by_role("button", name="Désactiver").click()
    expect(page.get_by_role("status")).to_contain_text("Compte désactivé")
    expect(page.locator("#account-nadia")).to_contain_text("Désactivé")
    nadia = browser.new_context(locale="fr-FR")
    refused = sign_in(nadia, url, "nadia", NEW_PASSWORD)
    expect(refused.get_by_role("alert")).to_contain_text("Connexion refusée")
    nadia.close()

    page.locator("#account-nadia").get_by_role("button", name="Réactiver").click()
    expect(page.get_by_role("status")).to_contain_text("Compte réactivé.")
    expect(page.locator("#account-nadia")).to_contain_text("Actif")
    nadia = browser.new_context(locale="fr-FR")
    welcome = sign_in(nadia, url, "nadia", NEW_PASSWORD)
    expect(welcome.get_by_role("heading", name="File des cas")).to_be_visible()
    nadia.close()

    page.get_by_role("link", name="Configuration").first.click()
    expect(page.get_by_role("heading", name="Configuration")).to_be_visible()
    settings = page.locator("table.config")
    expect(settings).to_be_visible()
    assert settings.locator("tbody tr").count() >= 5
    expect(settings).not_to_contain_text("sqlite+aiosqlite://")  # no connection URL
    context.close()


def test_a_supervisor_reads_the_roster_and_only_admins_open_the_admin_pages(
    demo: tuple[str, dict[str, str]], browser: Browser
) -> None:
    url, _ = demo
    context, page = signed_in(browser, url, "supervisor", "demo-super-1503")
    expect(page.get_by_role("heading", name="File des cas")).to_be_visible()
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)
    page.get_by_role("link", name="Astreintes").click()
    expect(page.get_by_role("heading", name="Astreintes")).to_be_visible()
    expect(page.get_by_role("heading", name="De garde maintenant")).to_be_visible()
    on_call = page.locator("table.roster-now tbody tr")
    assert on_call.count() >= 10, "a row per region (and the national team)"
    expect(page.locator("#oncall-Littoral")).to_contain_text("(agent.littoral)")
    expect(page.get_by_role("heading", name="Échanger une période de garde")).to_be_visible()
    for path in ("/console/admin/accounts", "/console/admin/config"):
        response = page.goto(f"{url}{path}")
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading")).to_contain_text("rôle")
        expect(page.locator("form[action='/console/admin/accounts']")).to_have_count(0)
    context.close()

    agent = browser.new_context(locale="fr-FR")
    page = sign_in(agent, url, "agent.littoral", "demo-agent-1503")
    expect(page.get_by_role("heading", name="File des cas")).to_be_visible()
    expect(page.get_by_role("link", name="Astreintes")).to_have_count(0)
    for path in ("/console/admin/accounts", "/console/admin/config", "/console/roster"):
        response = page.goto(f"{url}{path}")
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("heading")).to_contain_text("rôle")
    agent.close()
