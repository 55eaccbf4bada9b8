"""Admin pages: accounts (create, deactivate, reactivate, TOTP reset) and the configuration page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import Agent, AgentReach, AuditEntry, ConsoleSession, Role
from hotline.privacy.sealed import agent_phone
from tests.console.conftest import KEY, BrowserFactory, signed_in_as
from tests.fixtures.env import AUTH_TOKEN, DATA_KEYS, PEPPER, SECRET_KEY

NEW_PASSWORD = "a-brand-new-password"
PHONE = "+237670001503"


async def _agent(session: AsyncSession, username: str) -> Agent:
    session.expire_all()
    return (await session.execute(select(Agent).where(Agent.username == username))).scalar_one()


async def _actions(session: AsyncSession) -> list[str]:
    return list((await session.execute(select(AuditEntry.action).order_by(AuditEntry.seq))).scalars())


async def test_an_admin_creates_an_account_that_can_then_sign_in(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    """The new account signs in with its first password; its phone is sealed as the CLI seals it."""
    async with await signed_in_as(runtime, browser, "root", Role.admin) as admin:
        response = await admin.post(
            "/console/admin/accounts",
            {
                "username": "Nadia",
                "display_name": "Nadia N.",
                "password": NEW_PASSWORD,
                "role": "agent",
                "regions": "Littoral",
                "languages": "fr",
                "phone": PHONE,
            },
        )
        assert response.status_code == 303, response.text
        page = await admin.client.get(response.headers["location"])
    assert page.status_code == 200 and "Nadia N." in page.text
    assert PHONE not in page.text and PHONE[4:] not in page.text
    nadia = await _agent(session, "nadia")
    assert (nadia.role, nadia.regions, nadia.languages) == ("agent", ["Littoral"], ["fr"])
    assert nadia.phone_enc is not None and PHONE not in nadia.phone_enc
    assert agent_phone(runtime.keyring, nadia) == PHONE
    reach = await session.get(AgentReach, nadia.id)
    assert reach is not None and reach.phone_ref
    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.action == "account.created"))
    ).scalar_one()
    assert entry.subject == f"agent:{nadia.id}" and PHONE not in str(entry.details)
    async with browser() as b:
        signed = await b.sign_in("nadia", NEW_PASSWORD)
        assert signed.status_code == 303 and signed.headers["location"] == "/console/"


async def test_a_refused_account_is_not_created_and_the_phone_is_not_echoed(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    async with await signed_in_as(runtime, browser, "root", Role.admin) as admin:
        short = await admin.post(
            "/console/admin/accounts",
            {"username": "bob", "password": "short", "role": "agent", "phone": PHONE},
        )
        bad_phone = await admin.post(
            "/console/admin/accounts",
            {"username": "bob", "password": NEW_PASSWORD, "role": "agent", "phone": "xyz-abc"},
        )
    assert short.status_code == bad_phone.status_code == 422
    assert PHONE not in short.text and "xyz-abc" not in bad_phone.text
    assert (await session.execute(select(Agent).where(Agent.username == "bob"))).first() is None


async def test_only_an_admin_opens_or_uses_the_admin_pages(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    """A supervisor or an agent gets 403 on every admin page and action, and nothing changes."""
    for username, role in (("sue", Role.supervisor), ("al", Role.agent)):
        async with await signed_in_as(runtime, browser, username, role) as b:
            me = await _agent(session, username)
            assert (await b.client.get("/console/admin/accounts")).status_code == 403
            assert (await b.client.get("/console/admin/config")).status_code == 403
            created = await b.post(
                "/console/admin/accounts", {"username": "x1", "password": NEW_PASSWORD, "role": "admin"}
            )
            assert created.status_code == 403
            for action in ("deactivate", "totp-reset"):
                assert (await b.post(f"/console/admin/accounts/{me.id}/{action}")).status_code == 403
            assert (await b.client.get("/console/")).status_code == 200, "still signed in"
    assert (await session.execute(select(Agent).where(Agent.username == "x1"))).first() is None
    assert not {"account.created", "account.deactivated", "account.totp_reset"} & set(await _actions(session))


async def test_an_admin_form_without_its_csrf_token_is_refused(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    async with await signed_in_as(runtime, browser, "root", Role.admin) as admin:
        response = await admin.client.post(
            "/console/admin/accounts", data={"username": "x2", "password": NEW_PASSWORD, "role": "agent"}
        )
    assert response.status_code == 403
    assert (await session.execute(select(Agent).where(Agent.username == "x2"))).first() is None


async def test_a_totp_reset_ends_every_session_and_forces_enrolment_again(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    """After the reset the supervisor's open sessions are gone and the next sign-in shows a new key."""
    async with await signed_in_as(runtime, browser, "sue", Role.supervisor) as sue:
        first_key = sue.totp_key
        assert first_key and (await sue.client.get("/console/")).status_code == 200
        target = await _agent(session, "sue")
        assert target.totp_secret_enc is not None
        async with await signed_in_as(runtime, browser, "root", Role.admin) as admin:
            reset = await admin.post(f"/console/admin/accounts/{target.id}/totp-reset")
            assert reset.status_code == 303
        after = await sue.client.get("/console/")
        assert after.status_code == 303 and after.headers["location"] == "/console/login"
    target = await _agent(session, "sue")
    assert target.totp_secret_enc is None
    left = await session.execute(select(ConsoleSession).where(ConsoleSession.agent_id == target.id))
    assert left.first() is None
    async with browser() as again:
        await again.client.get("/console/login")
        response = await again.sign_in("sue")
        assert response.status_code == 303
        assert again.totp_key and again.totp_key != first_key, "a new key is shown: enrolment again"
    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.action == "account.totp_reset"))
    ).scalar_one()
    assert entry.subject == f"agent:{target.id}" and entry.details["sessions"] == 1


async def test_a_deactivated_account_is_signed_out_and_refused_until_reactivated(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    async with await signed_in_as(runtime, browser, "al", Role.agent, ("Littoral",)) as al:
        target = await _agent(session, "al")
        async with await signed_in_as(runtime, browser, "root", Role.admin) as admin:
            assert (await admin.post(f"/console/admin/accounts/{target.id}/deactivate")).status_code == 303
            assert (await al.client.get("/console/")).status_code == 303
            async with browser() as b:
                assert (await b.sign_in("al")).status_code == 401
            assert (await admin.post(f"/console/admin/accounts/{target.id}/reactivate")).status_code == 303
            async with browser() as b:
                assert (await b.sign_in("al")).status_code == 303
            admin_row = await _agent(session, "root")
            own = await admin.post(f"/console/admin/accounts/{admin_row.id}/deactivate")
            assert own.status_code == 409
    actions = await _actions(session)
    assert "account.deactivated" in actions and "account.reactivated" in actions


async def test_the_configuration_page_shows_settings_but_no_secret(
    runtime: Runtime, browser: BrowserFactory, session: AsyncSession
) -> None:
    """SECRET_KEY, the Twilio auth token, the pepper and the data keys never reach the page."""
    settings = runtime.settings
    secrets = {
        settings.secret_key.get_secret_value(),
        settings.twilio_auth_token.get_secret_value(),
        settings.caller_pepper.get_secret_value(),
        settings.data_keys.get_secret_value(),
        SECRET_KEY,
        AUTH_TOKEN,
        PEPPER,
        DATA_KEYS,
        DATA_KEYS.split(":", 1)[1],
    }
    async with await signed_in_as(runtime, browser, "root", Role.admin) as admin:
        page = await admin.client.get("/console/admin/config")
    assert page.status_code == 200
    for secret in secrets:
        assert secret and secret not in page.text
    assert settings.public_base_url in page.text
    assert runtime.triage_version in page.text
    for key_id in runtime.keyring.key_ids:
        assert key_id in page.text
    assert str(settings.retention_body_days) in page.text
    assert "config.viewed" in await _actions(session)


async def test_the_totp_key_pattern_is_what_enrolment_shows() -> None:
    """Guard for the helper above: the enrolment page's key is what Browser.sign_in picks up."""
    assert KEY.search('<code class="key">ABCDEFGHIJKLMNOP</code>')
