"""A referral's whole life leaves no partner number, address, link token, need or note in logs, metrics or audit."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.models import AuditEntry, ReferralLink, Role
from hotline.referrals.links import token_for
from hotline.referrals.partner_page import _form_token
from tests.fixtures.accounts import bearer
from tests.fixtures.accounts import token_for as api_token
from tests.referrals.conftest import AGENT_PHONE, WORDS, Directory, agent_with_phone, make_case

NEEDS = "Mise à l'abri de Mireille ce soir à Bépanda"
NOTE = "Mireille est chez sa tante à Deido"


async def test_a_referral_from_draft_to_completed_and_its_reminders_leak_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    session: AsyncSession,
    directory: Directory,
    real_logging: io.StringIO,
) -> None:
    await agent_with_phone(runtime, "awa", Role.agent, ("Littoral",))
    headers = bearer(await api_token(client, "awa"))
    case = await make_case(runtime, share=True)
    body = {
        "partner_id": str(directory.partner("hopital-laquintinie-demo").id),
        "contact_id": str(directory.contact("Dr Awa Fictif").id),
        "needs": NEEDS,
    }
    referral = (await client.post(f"/api/v1/cases/{case.id}/referrals", json=body, headers=headers)).json()
    assert (
        await client.post(f"/api/v1/referrals/{referral['id']}/send", json={}, headers=headers)
    ).status_code == 200
    worker = Worker(runtime, clock=lambda: datetime.now(UTC) + timedelta(days=1))
    assert await worker.remind_referrals() == 1
    await worker.maintain()  # delivers the SMS through the (fake) provider

    secret = runtime.settings.secret_key.get_secret_value()
    link = (await session.execute(select(ReferralLink))).scalar_one()
    token = token_for(secret, link.id)
    page = await client.get(f"/r/{token}")
    assert page.status_code == 200
    form = {"form_token": _form_token(secret, link), "note": NOTE}
    await client.post(f"/r/{token}", data={**form, "action": "accept"})
    await client.post(f"/r/{token}", data={**form, "action": "complete"})
    await client.get(f"/r/{token}")
    await client.get(f"/r/{token[:-3]}abc")
    metrics = (await client.get("/metrics")).text

    audit = json.dumps(
        [[e.actor, e.action, e.details] for e in (await session.execute(select(AuditEntry))).scalars()],
        ensure_ascii=False,
    )
    logs = real_logging.getvalue()
    assert "referral" in logs or "sms.outbound" in logs, "the scan saw the flow's log lines"
    for secret_text in (
        "+237699990601",
        "699990601",
        AGENT_PHONE,
        NEEDS[:20],
        NOTE[:20],
        "Mireille",
        WORDS[:20],
        token,
        token.split(".")[1],
        case.reference,
    ):
        assert secret_text not in logs, secret_text
        assert secret_text not in metrics, secret_text
        assert secret_text not in audit, secret_text
