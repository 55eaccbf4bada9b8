"""Email to partners goes through a real SMTP conversation (a local aiosmtpd server)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.mail import build_mailer
from hotline.core.runtime import Runtime
from hotline.models import Case, OutboundMessage, ReferralLink, Role
from hotline.referrals import lifecycle
from hotline.referrals.links import token_for
from hotline.sms.outbound import deliver_due
from tests.referrals.conftest import Directory, agent_with_phone, make_case, refer


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def send_to_iom(runtime: Runtime, directory: Directory) -> Case:
    agent = await agent_with_phone(runtime, "awa", Role.agent)
    case = await make_case(runtime, share=True, abroad=True, region=None, category="migrant_distress")
    await refer(
        runtime,
        case,
        agent,
        directory,
        "iom-yaounde",
        "Aïcha Demo",
        "Retour volontaire depuis Agadez",
        now=datetime.now(UTC),
    )
    return case


async def test_with_smtp_configured_the_partner_gets_an_sms_and_an_email_with_the_same_link(
    runtime: Runtime, session: AsyncSession, directory: Directory, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    runtime.settings = runtime.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )
    runtime.mailer = build_mailer(runtime.settings)
    case = await send_to_iom(runtime, directory)
    delivered = await deliver_due(runtime)
    assert delivered.sent == 2 and delivered.failed == 0

    [(recipients, email)] = inbox.messages
    assert recipients == ["protection@iom-demo.example.cm"]
    assert case.reference in str(email["Subject"])
    link = (await session.execute(select(ReferralLink))).scalar_one()
    body = email.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert f"/r/{token_for(runtime.settings.secret_key.get_secret_value(), link.id)}" in body.decode()
    assert "Agadez" not in body.decode(), "what is needed is on the page, not in the email"
    rows = (await session.execute(select(OutboundMessage))).scalars().all()
    assert sorted(r.channel for r in rows) == ["email", "sms"]
    assert all(r.to_enc is None and r.body_enc is None for r in rows if r.channel == "email"), (
        "wiped once sent"
    )


async def test_without_smtp_only_the_sms_goes_and_the_record_says_so(
    runtime: Runtime, session: AsyncSession, directory: Directory
) -> None:
    await send_to_iom(runtime, directory)
    rows = (await session.execute(select(OutboundMessage))).scalars().all()
    assert [r.channel for r in rows] == ["sms"]
    referral = (await session.execute(select(lifecycle.Referral))).scalar_one()
    assert referral.shared is not None and referral.shared["to"]["channels"] == ["sms"]


async def test_a_refused_recipient_fails_the_email_without_retrying(
    runtime: Runtime, session: AsyncSession, directory: Directory, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp

    async def refuse(server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return "550 no such user"

    inbox.handle_RCPT = refuse  # type: ignore[attr-defined]
    runtime.settings = runtime.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )
    runtime.mailer = build_mailer(runtime.settings)
    await send_to_iom(runtime, directory)
    delivered = await deliver_due(runtime)
    assert (delivered.sent, delivered.failed) == (1, 1)
    email = (
        await session.execute(select(OutboundMessage).where(OutboundMessage.channel == "email"))
    ).scalar_one()
    assert email.status == "failed" and email.last_error == "recipient_refused"
