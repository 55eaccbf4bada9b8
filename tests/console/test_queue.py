"""The queue page: which cases, in which order, and what each row shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from hotline.agents.service import create_agent
from hotline.cases import repository
from hotline.cases.reference import new_reference
from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Agent, Case, Role
from tests.console.conftest import BrowserFactory, signed_in_as
from tests.fixtures.accounts import PASSWORD

ROW = re.compile(r"<tr class=\"sev-[^\"]+\" data-reference=\"(\w+)\">(.*?)</tr>", re.S)


async def _case(runtime: Runtime, **fields: object) -> Case:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "reference": new_reference(),
        "channel": "sms",
        "caller_ref": "c" * 64,
        "region": "Littoral",
        "severity": "high",
        "category": "trafficking",
        "reasons": [],
        "created_at": now,
        "updated_at": now,
        "ack_deadline": now + timedelta(minutes=10),
    }
    values.update(fields)
    async with unit_of_work(runtime.sessions) as session:
        case = Case(**values)
        session.add(case)
        await session.flush()
        return case


def _rows(html: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in ROW.finditer(html)}


async def test_open_cases_most_severe_first_then_nearest_deadline_closed_ones_only_when_asked(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    now = datetime.now(UTC)
    low = await _case(runtime, severity="low", ack_deadline=now + timedelta(minutes=1))
    later = await _case(runtime, severity="critical", ack_deadline=now + timedelta(minutes=30))
    sooner = await _case(runtime, severity="critical", ack_deadline=now + timedelta(minutes=5))
    untriaged = await _case(runtime, severity=None, ack_deadline=None)
    closed = await _case(runtime, severity="critical", status="closed", outcome="resolved")
    async with await signed_in_as(runtime, browser, "sue", Role.supervisor) as b:
        page = await b.client.get("/console/")
        assert page.status_code == 200
        order = list(_rows(page.text))
        assert order == [sooner.reference, later.reference, low.reference, untriaged.reference]
        assert '<span class="count" id="total">4</span>' in page.text
        only_closed = _rows((await b.client.get("/console/queue?status=closed")).text)
        assert list(only_closed) == [closed.reference]


async def test_a_row_shows_flags_assignee_and_a_countdown_only_while_new(
    runtime: Runtime, browser: BrowserFactory
) -> None:
    """Every value from the database is escaped: an account's display name is text, not markup."""
    async with unit_of_work(runtime.sessions) as session:
        eve = await create_agent(
            session,
            username="eve",
            password=PASSWORD,
            role=Role.agent,
            regions=("Littoral",),
            display_name='<b>Eve & "co"</b>',
        )
    due = datetime(2030, 1, 2, 9, 5, tzinfo=UTC)
    new = await _case(runtime, minor=True, imminent_danger=True, ack_deadline=due, category="forced_labour")
    taken = await _case(runtime, status="in_progress", assignee_id=eve.id, training=True)
    abroad = await _case(runtime, region=None, abroad=True, severity=None)
    async with await signed_in_as(runtime, browser, "sue", Role.supervisor) as b:
        rows = _rows((await b.client.get("/console/queue")).text)
    first = rows[new.reference]
    assert '<span class="badge sev-high">élevée</span>' in first
    assert '<span class="flag">danger immédiat</span> <span class="flag">mineur</span>' in first
    assert f'<a href="/console/cases/{new.id}">{new.reference}</a></td>' in first
    assert ">forced labour<" in first and ">Littoral<" in first and ">sms<" in first
    assert ">nouveau<" in first and ">non attribué<" in first
    assert '<time class="countdown" datetime="2030-01-02T09:05:00+00:00">09:05</time>' in first
    second = rows[taken.reference]
    assert ">&lt;b&gt;Eve &amp; &quot;co&quot;&lt;/b&gt;<" in second and "<b>" not in second
    assert ">en cours<" in second and '<span class="flag">FORMATION</span>' in second
    assert "countdown" not in second and ">–<" in second
    third = rows[abroad.reference]
    assert 'class="badge sev-none">…<' in third and ">abroad<" in third


async def test_mine_region_scope_and_an_empty_queue(runtime: Runtime, browser: BrowserFactory) -> None:
    mine = await _case(runtime, region="Centre")
    ours = await _case(runtime, region="Littoral")
    await _case(runtime, region="Nord")
    async with await signed_in_as(runtime, browser, "alice", Role.agent, ("Littoral",)) as b:
        async with runtime.sessions() as session:
            alice = (await session.execute(select(Agent).where(Agent.username == "alice"))).scalar_one()
        async with unit_of_work(runtime.sessions) as session:
            row = await session.get(Case, mine.id)
            assert row is not None
            row.assignee_id = alice.id
        assert set(_rows((await b.client.get("/console/")).text)) == {mine.reference, ours.reference}
        assert set(_rows((await b.client.get("/console/?mine=true")).text)) == {mine.reference}
        empty = (await b.client.get("/console/queue?severity=low")).text
        assert _rows(empty) == {} and "Aucun cas." in empty


async def test_the_total_counts_every_open_case_when_the_list_is_cut(runtime: Runtime) -> None:
    for _ in range(3):
        await _case(runtime)
    await _case(runtime, status="closed", outcome="resolved")
    filters = repository.CaseFilters(open_only=True, by_deadline=True)
    async with runtime.sessions() as session:
        sue = Agent(username="sue", password_hash="x", role=Role.supervisor.value)
        cut, total = await repository.list_queue(session, sue, filters, limit=2)
        whole, whole_total = await repository.list_queue(session, sue, filters, limit=10)
    assert (len(cut), total) == (2, 3)
    assert (len(whole), whole_total) == (3, 3)
