"""No statistics output (JSON, CSV, terminal) ever carries a case id, a reference, a caller_ref, text
or a partner's name."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from hotline.core.runtime import Runtime
from hotline.models import Role
from tests.conftest import app_for
from tests.fixtures.accounts import bearer, make_agent, token_for
from tests.fixtures.stats import PARTNER_NAME, add_cases, add_referrals, refresh_rollups
from tests.stats.noise import near

HOTLINE = [sys.executable, "-m", "hotline.cli"]
PARAMS = ({"measure": "cases", "group_by": "region,category", "period": "month"}, {"measure": "ack_time", "group_by": "severity"}, {"measure": "sla", "group_by": "region", "period": "day"}, {"measure": "contacts", "group_by": "channel,outcome"}, {"measure": "referral_accept_time", "group_by": "partner_kind,outcome"})  # fmt: skip
RANGE = {"from": "2026-03-01", "to": "2026-03-31"}


def cli(runtime: Runtime, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(
        HOTLINE_DATABASE_URL=runtime.settings.database_url,
        HOTLINE_SPOOL_DIR=str(runtime.spool.directory),
        HOTLINE_LOG_JSON="true",
    )
    return subprocess.run(
        [*HOTLINE, "stats", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_no_output_names_a_case_a_caller_or_their_words(committed_runtime: Runtime) -> None:
    cases = await add_cases(committed_runtime, 12, region="Littoral", ack_minutes=3, sla="met")
    cases += await add_cases(committed_runtime, 3, region="Nord", minor=True, category="information")
    referrals = await add_referrals(committed_runtime, 7, partner_kind="shelter", status="completed")
    await refresh_rollups(committed_runtime)
    forbidden = {"secret-words-of-a-caller", PARTNER_NAME}
    for case in cases:
        forbidden |= {str(case.id), case.id.hex, case.reference, case.caller_ref}
    for referral in referrals:
        forbidden |= {str(referral.id), str(referral.case_id), str(referral.partner_id)}

    outputs: list[str] = []
    transport = httpx.ASGITransport(app=app_for(committed_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await make_agent(committed_runtime, "stats-privacy", Role.analyst)
        headers = bearer(await token_for(client, "stats-privacy"))
        for params in PARAMS:
            for path in ("/api/v1/stats", "/api/v1/stats.csv"):
                response = await client.get(path, params={**params, **RANGE}, headers=headers)
                assert response.status_code == 200, response.text
                outputs.append(response.text)
    for params in PARAMS:
        args = [f"--{key.replace('_', '-')}={value}" for key, value in {**params, **RANGE}.items()]
        for extra in ([], ["--csv"]):
            done = cli(committed_runtime, *args, *extra)
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout + done.stderr)

    # the figures are there (perturbed: give or take the perturbation table's bound)
    assert any("Littoral" in out and any(str(n) in out for n in range(10, 15)) for out in outputs)
    assert any(
        "shelter" in out and "completed" in out and any(str(n) in out for n in range(5, 10))
        for out in outputs
    )
    for out in outputs:
        for value in forbidden:
            assert value not in out


async def test_the_command_prints_the_table_and_refuses_bad_queries(committed_runtime: Runtime) -> None:
    await add_cases(committed_runtime, 9, region="Ouest")
    await add_cases(committed_runtime, 2, region="Sud")
    refreshed = cli(committed_runtime, "refresh")
    assert refreshed.returncode == 0, refreshed.stderr
    done = cli(committed_runtime, "--group-by", "region", "--from", "2026-03-01", "--to", "2026-03-31")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "cases by region" in lines[0]
    assert any(
        line.split()[:2] == ["Ouest", "suppressed"] for line in lines
    )  # hidden with Sud: the total is printed
    assert any(line.split()[:2] == ["Sud", "suppressed"] for line in lines)
    assert any(line.split()[0] == "all" and near(int(line.split()[1]), 11) for line in lines)
    bad = cli(committed_runtime, "--group-by", "caller_ref")
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: ")
    assert len(bad.stderr.strip().splitlines()) == 1
