"""The partner's link: it shows only what was shared, cannot be forged, expires, and is spent by a final answer."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Case, Referral, ReferralLink, Role
from hotline.referrals import lifecycle
from hotline.referrals.links import link_id_of, token_for
from hotline.referrals.partner_page import _form_token
from tests.referrals.conftest import WORDS, Directory, agent_with_phone, make_case, refer

NEEDS = "Mise à l'abri de la victime ce soir"


async def sent_referral(runtime: Runtime, directory: Directory) -> tuple[Referral, str, Case]:
    agent = await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    case = await make_case(runtime, share=True, minor=True)
    referral = await refer(
        runtime,
        case,
        agent,
        directory,
        "child-protection-littoral",
        "Grace Example",
        NEEDS,
        now=datetime.now(UTC),
    )
    async with runtime.sessions() as session:
        link = (await session.execute(select(ReferralLink))).scalar_one()
    return referral, token_for(runtime.settings.secret_key.get_secret_value(), link.id), case


async def answer(
    client: httpx.AsyncClient, runtime: Runtime, token: str, action: str, note: str = ""
) -> httpx.Response:
    link_id = link_id_of(runtime.settings.secret_key.get_secret_value(), token)
    assert link_id is not None
    form_token = _form_token(runtime.settings.secret_key.get_secret_value(), ReferralLink(id=link_id))
    return await client.post(f"/r/{token}", data={"action": action, "note": note, "form_token": form_token})


async def test_the_page_shows_exactly_the_shared_fields_and_nothing_the_caller_said(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    _referral, token, case = await sent_referral(runtime, directory)
    response = await client.get(f"/r/{token}")
    assert response.status_code == 200
    html = response.text
    fields = dict(re.findall(r'data-field="(\w+)">([^<]*)', html))
    assert fields["reference"] == case.reference
    assert fields["region"] == "Littoral"
    assert fields["needs"] == NEEDS.replace("'", "&#39;")
    assert fields["agent"].startswith("Awa Demo")
    assert "Traite" in fields["category"]
    for private in ("15 ans", "enfermée", "677 12 34 56", "Douala", WORDS[:12]):
        assert private not in html
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    views = (
        await session.execute(select(AuditEntry).where(AuditEntry.action == "referral.link_viewed"))
    ).scalars()
    assert [v.details["state"] for v in views] == ["ok"]


async def test_accept_then_complete_then_the_link_is_spent_and_cannot_be_replayed(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    referral, token, _ = await sent_referral(runtime, directory)
    accepted = await answer(client, runtime, token, "accept", "Nous prenons en charge")
    assert accepted.status_code == 303 and accepted.headers["location"].endswith("done=accepted")
    still_open = await client.get(f"/r/{token}")
    assert still_open.status_code == 200 and 'data-action="complete"' in still_open.text
    assert "Nous prenons en charge" in still_open.text

    completed = await answer(client, runtime, token, "complete", "Enfant mise à l'abri")
    assert completed.status_code == 303
    row = await session.get(Referral, referral.id)
    assert row is not None
    await session.refresh(row)
    assert row.status == "completed" and row.accepted_at is not None and row.completed_at is not None
    assert lifecycle.partner_note(runtime.keyring, row) == "Enfant mise à l'abri"

    spent = await client.get(f"/r/{token}")
    assert spent.status_code == 410 and 'data-state="spent"' in spent.text
    assert NEEDS[:10] not in spent.text and row.shared is not None
    assert row.shared["fields"]["reference"] not in spent.text
    replay = await answer(client, runtime, token, "decline")
    assert replay.status_code == 410
    await session.refresh(row)
    assert row.status == "completed"
    moves = (
        await session.execute(
            select(AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.action.in_(["referral.accepted", "referral.completed"]))
            .order_by(AuditEntry.seq)
        )
    ).all()
    assert [m[0] for m in moves] == ["referral.accepted", "referral.completed"]
    assert all(m[1] == f"partner_contact:{directory.contact('Grace Example').id}" for m in moves)


async def test_declining_is_final_and_a_wrong_step_is_refused_politely(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    _referral, token, _ = await sent_referral(runtime, directory)
    too_early = await answer(client, runtime, token, "complete")
    assert too_early.headers["location"].endswith("done=refused")
    unknown = await answer(client, runtime, token, "delete")
    assert unknown.headers["location"].endswith("done=refused")
    declined = await answer(client, runtime, token, "decline", "Hors de notre zone")
    assert declined.headers["location"].endswith("done=declined")
    assert (await client.get(f"/r/{token}")).status_code == 410


async def test_forged_edited_or_guessed_tokens_find_nothing(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    _, token, _ = await sent_referral(runtime, directory)
    link_part, signature = token.split(".")
    other_secret = token_for(
        "another secret of at least thirty-two characters", uuid.UUID(bytes=link_id_bytes(token))
    )
    attempts = [
        f"{link_part}.{signature[:-2]}AA",  # edited signature
        f"{token_for(runtime.settings.secret_key.get_secret_value(), uuid.uuid4())}",  # signed, unknown id
        other_secret,  # signed with another key
        f"{link_part}",  # no signature
        "' OR 1=1 --",
        "A" * 2000,
        "%00%ff",
    ]
    for forged in attempts:
        response = await client.get(f"/r/{forged}")
        assert response.status_code == 404, forged
        assert "data-field" not in response.text
        posted = await client.post(f"/r/{forged}", data={"action": "accept", "form_token": "x"})
        assert posted.status_code in (404, 422), forged
    # A valid link with a forged form token changes nothing.
    link_id = link_id_of(runtime.settings.secret_key.get_secret_value(), token)
    assert link_id is not None
    forged_form = await client.post(f"/r/{token}", data={"action": "accept", "form_token": "0" * 64})
    assert forged_form.status_code == 403
    assert (await session.execute(select(Referral.status))).scalar_one() == "sent"


def link_id_bytes(token: str) -> bytes:
    import base64

    raw = token.split(".")[0]
    return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))


async def test_an_expired_link_shows_nothing_and_accepts_nothing(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    _referral, token, _ = await sent_referral(runtime, directory)
    async with unit_of_work(runtime.sessions) as s:
        link = (await s.execute(select(ReferralLink))).scalar_one()
        link.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    response = await client.get(f"/r/{token}")
    assert response.status_code == 410 and "expir" in response.text.lower()
    assert "data-field" not in response.text
    assert (await answer(client, runtime, token, "accept")).status_code == 410
    assert (await session.execute(select(Referral.status))).scalar_one() == "sent"
    states = (
        await session.execute(
            select(AuditEntry.details)
            .where(AuditEntry.action == "referral.link_viewed")
            .order_by(AuditEntry.seq)
        )
    ).scalars()
    assert [s["state"] for s in states] == ["expired", "expired"]


def test_a_token_fits_in_an_sms_and_its_signature_is_checked_before_anything_else() -> None:
    secret = "s" * 40
    link = uuid.uuid4()
    token = token_for(secret, link)
    assert len(token) == 45 and re.fullmatch(r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}", token)
    assert link_id_of(secret, token) == link
    assert link_id_of("t" * 40, token) is None
    assert link_id_of(secret, token.upper()) is None
