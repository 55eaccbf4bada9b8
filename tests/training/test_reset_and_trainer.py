"""`hotline training reset` removes training data only and keeps the audit chain whole; the trainer
sees per trainee how long acknowledging and referring took."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from typer.testing import CliRunner

from hotline.audit.verify import verify
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Case, Contact, OutboxEntry, Role
from hotline.training.reset import reset_training
from tests.console.conftest import reported_case
from tests.fixtures.messaging import drain
from tests.training.conftest import Opened

REPORT = "Bonsoir, une fillette de 12 ans à Bonabéri (Douala) fait le ménage jour et nuit chez ma voisine."


async def test_reset_deletes_training_data_only_and_the_chain_still_verifies(
    runtime: Runtime, person: Opened
) -> None:
    real = await reported_case(runtime)
    async with person("trainee-r", Role.agent) as b:
        await b.post("/training/phone/sms", {"body": REPORT})
    await drain(runtime)
    async with runtime.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Case))).scalar_one() == 2
    async with unit_of_work(runtime.sessions) as session:
        counts = await reset_training(session, actor="test")
    assert counts["cases"] == 1 and counts["contacts"] == 1 and counts["outbox"] >= 1
    async with runtime.sessions() as session:
        cases = list((await session.execute(select(Case))).scalars())
        contacts = list((await session.execute(select(Contact))).scalars())
        outbox = list((await session.execute(select(OutboxEntry))).scalars())
        resets = list(
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "training.reset"))).scalars()
        )
        report = await verify(session)
    assert [c.id for c in cases] == [real.id]
    assert all(not c.training for c in contacts) and len(contacts) == 1
    assert all(e.contact_id == contacts[0].id for e in outbox)
    assert len(resets) == 1 and resets[0].details["cases"] == 1
    assert report.ok, report


def test_the_command_is_mounted() -> None:
    from hotline.cli import app

    result = CliRunner().invoke(app, ["training", "reset", "--help"])
    assert result.exit_code == 0 and "training" in result.output


async def test_the_trainer_sees_how_long_each_trainee_took(runtime: Runtime, person: Opened) -> None:
    """A scenario started for a group: the trainee who took and referred the case gets both times."""
    async with person("trainer1", Role.supervisor) as trainer, person("trainee-t", Role.agent) as t:
        page = await trainer.client.get("/training/trainer")
        assert page.status_code == 200 and "Agadez" in page.text
        started = await trainer.post(
            "/training/trainer/start",
            {"scenario": "douala-domestic-minor", "group": "Douala 1", "trainees": "trainee-t nobody"},
        )
        assert started.status_code == 303
        phone = (await t.client.get("/training/phone")).text
        assert "Bonabéri" in phone, "the trainee sees the scenario's story"
        await t.post("/training/phone/sms", {"body": REPORT})
        await drain(runtime)
        async with runtime.sessions() as session:
            case = (await session.execute(select(Case))).scalars().one()
        before = (await trainer.client.get("/training/trainer")).text
        assert re.search(r'data-trainee="trainee-t"><td>trainee-t</td><td colspan="3">', before)
        assert (await t.post(f"/console/cases/{case.id}/take")).status_code in (200, 303)
        assert (await t.post(f"/console/cases/{case.id}/status", {"status": "referred"})).status_code in (
            200,
            303,
        )
        after = (await trainer.client.get("/training/trainer")).text
        row = re.search(r'<tr data-trainee="trainee-t">.*?</tr>', after, re.S)
        assert row and case.reference in row.group(0)
        ack = re.search(r'class="to-ack">(\d+:\d\d)<', row.group(0))
        refer = re.search(r'class="to-refer">(\d+:\d\d)<', row.group(0))
        assert ack and refer, row.group(0)
        assert "nobody" in after and "inconnu" in after
