"""The ``hotline`` command line, run as a newcomer runs it: real processes on the embedded default."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

HOTLINE = [sys.executable, "-m", "hotline.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    return {
        **clean,
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "HOTLINE_SPOOL_DIR": str(tmp_path / "spool"),
        "HOTLINE_LOG_JSON": "true",
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOTLINE, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin, check=False
    )


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """``hotline serve`` on SQLite with the in-process worker, as the README describes."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env["HOTLINE_PUBLIC_BASE_URL"] = url
    assert run(env, "db", "upgrade").returncode == 0
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen([*HOTLINE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the server exited"
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became ready")


def token(url: str, username: str, password: str) -> dict[str, str]:
    response = httpx.post(f"{url}/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


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

    assert (
        run(
            env,
            "agents",
            "create",
            "--username",
            "sup",
            "--password",
            "long-enough-pw",
            "--role",
            "supervisor",
        ).returncode
        == 0
    )
    headers = token(server, "sup", "long-enough-pw")
    deadline = time.monotonic() + 20
    cases: list[dict[str, object]] = []
    while time.monotonic() < deadline and not cases:
        cases = httpx.get(f"{server}/api/v1/cases", headers=headers).json()["items"]
        time.sleep(0.2)
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
    port = free_port()
    with (tmp_path / "demo.log").open("wb") as log:
        proc = subprocess.Popen([*HOTLINE, "demo", "--port", str(port)], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, proc)
        printed = (tmp_path / "demo.log").read_text()
        assert "supervisor / demo-super-1503" in printed
        headers = token(url, "supervisor", "demo-super-1503")
        deadline = time.monotonic() + 20
        total = 0
        while time.monotonic() < deadline and total < 4:
            total = httpx.get(f"{url}/api/v1/cases", headers=headers).json()["total"]
            time.sleep(0.2)
        assert total == 4, "the demo reports went through the real pipeline"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_production_refuses_to_start_with_placeholder_secrets(env: dict[str, str]) -> None:
    result = run({**env, "HOTLINE_ENV": "production"}, "serve")
    assert result.returncode != 0
    assert "HOTLINE_" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
