"""The ``hotline`` command line, run as a newcomer runs it: real processes on the embedded default."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.servers import (
    HOTLINE,
    cases_seen_by_a_supervisor,
    clean_env,
    free_port,
    run,
    serving,
    token,
    wait_ready,
)

__all__ = ["HOTLINE", "free_port", "run", "token", "wait_ready"]  # older imports of these names still work

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path)


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """``hotline serve`` on SQLite with the in-process worker, as the README describes."""
    with serving(env, tmp_path) as url:
        yield url


def test_agents_create_makes_an_account_and_refuses_mistakes_in_one_line(env: dict[str, str]) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    made = run(
        env,
        "agents",
        "create",
        "--username",
        "awa",
        "--password",
        "long-enough-pw",
        "--role",
        "agent",
        "--region",
        "Littoral",
        "--region",
        "Centre",
    )
    assert made.returncode == 0, made.stderr
    assert "created agent awa" in made.stdout
    for args, message in (
        (("--username", "awa", "--password", "long-enough-pw", "--role", "agent"), "taken"),
        (("--username", "bob", "--password", "long-enough-pw", "--role", "boss"), "unknown role"),
        (("--username", "bob", "--password", "short", "--role", "agent"), "at least"),
        (
            ("--username", "bob", "--password", "long-enough-pw", "--role", "agent", "--region", "Mars"),
            "region",
        ),
    ):
        failed = run(env, "agents", "create", *args)
        assert failed.returncode != 0
        assert message in failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1


def test_simulate_sms_reaches_a_running_server_and_becomes_a_case(env: dict[str, str], server: str) -> None:
    reply = run(
        env,
        "simulate",
        "sms",
        "--from",
        "+237690000001",
        "--body",
        "Ma fille de 13 ans est enfermée ce soir à Douala",
        "--url",
        server,
    )
    assert reply.returncode == 0, reply.stderr
    assert "<Message>" in reply.stdout
    assert "Ref " in reply.stdout
    reference = reply.stdout.split("Ref ")[1][:8]

    cases = cases_seen_by_a_supervisor(env, server)
    assert [c["reference"] for c in cases] == [reference]
    assert cases[0]["severity"] == "critical"
    assert cases[0]["region"] == "Littoral"


def test_simulate_sms_to_nowhere_fails_with_one_line(env: dict[str, str]) -> None:
    result = run(
        env,
        "simulate",
        "sms",
        "--from",
        "+237690000001",
        "--body",
        "x",
        "--url",
        f"http://127.0.0.1:{free_port()}",
    )
    assert result.returncode != 0
    assert result.stderr.startswith("error: could not reach")


def test_demo_migrates_seeds_prints_logins_and_serves(env: dict[str, str], tmp_path: Path) -> None:
    with serving(env, tmp_path, "demo") as url:
        printed = (tmp_path / "demo.log").read_text()
        assert "supervisor / demo-super-1503" in printed
        headers = token(url, "supervisor", "demo-super-1503")
        deadline = time.monotonic() + 20
        total = 0
        while time.monotonic() < deadline and total < 4:
            total = httpx.get(f"{url}/api/v1/cases", headers=headers).json()["total"]
            time.sleep(0.2)
        assert total == 4, "the demo reports went through the real pipeline"


def test_production_refuses_to_start_with_placeholder_secrets(env: dict[str, str]) -> None:
    result = run({**env, "HOTLINE_ENV": "production"}, "serve")
    assert result.returncode != 0
    assert "HOTLINE_" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
