"""``hotline roster import | export [--ics] | check``, run as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HOTLINE = [sys.executable, "-m", "hotline.cli"]
REGIONS = (
    "Adamaoua",
    "Centre",
    "Est",
    "Extreme-Nord",
    "Littoral",
    "Nord",
    "Nord-Ouest",
    "Ouest",
    "Sud",
    "Sud-Ouest",
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    values = {
        **clean,
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
        "HOTLINE_SPOOL_DIR": str(tmp_path / "spool"),
        "HOTLINE_LOG_JSON": "true",
    }
    assert run(values, "db", "upgrade").returncode == 0
    for name in ("ana", "ben"):
        made = run(
            values,
            "agents",
            "create",
            "--username",
            name,
            "--password",
            "long-enough-pass",
            "--role",
            "agent",
        )
        assert made.returncode == 0, made.stderr
    return values


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HOTLINE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def roster_yaml(start: date, *, skip: str | None = None) -> str:
    teams = []
    for region in REGIONS:
        if region == skip:
            continue
        teams.append(
            f"""  - name: {region}
    region: {region}
    rotations:
      - {{role: primary, shift_hours: 12, handoff: "07:00", start: {start}, order: [ana, ben]}}
"""
        )
    return f"""version: 1
timezone: Africa/Douala
people:
  - username: ana
    languages: [fr, pcm]
    phone: "+237670001111"
teams:
{"".join(teams)}  - name: National
    national: true
    rotations:
      - {{role: primary, shift_hours: 24, handoff: "07:00", start: {start}, order: [ben]}}
"""


def test_import_check_and_export_a_full_roster(env: dict[str, str], tmp_path: Path) -> None:
    """A roster covering every region passes `check`; `export` gives it back without the phone."""
    start = datetime.now(UTC).date() - timedelta(days=2)
    source = tmp_path / "roster.yaml"
    source.write_text(roster_yaml(start))
    imported = run(env, "roster", "import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert "11 teams" in imported.stdout and "1 phones sealed" in imported.stdout
    checked = run(env, "roster", "check", "--days", "14")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    exported = run(env, "roster", "export")
    assert exported.returncode == 0
    assert "ana" in exported.stdout and "670001111" not in exported.stdout and "phone" not in exported.stdout
    target = tmp_path / "ben.ics"
    ics = run(env, "roster", "export", "--ics", "--days", "2", "--agent", "ben", "--output", str(target))
    assert ics.returncode == 0
    calendar = target.read_bytes().decode()
    assert calendar.startswith("BEGIN:VCALENDAR\r\n") and calendar.endswith("END:VCALENDAR\r\n")
    assert "(ben)" in calendar and "(ana)" not in calendar
    assert "670001111" not in imported.stdout + imported.stderr + calendar


def test_check_lists_every_region_hour_without_a_primary_and_fails(
    env: dict[str, str], tmp_path: Path
) -> None:
    start = datetime.now(UTC).date() - timedelta(days=2)
    source = tmp_path / "roster.yaml"
    source.write_text(roster_yaml(start, skip="Ouest"))
    assert run(env, "roster", "import", str(source)).returncode == 0
    checked = run(env, "roster", "check", "--days", "14")
    assert checked.returncode == 1
    assert checked.stderr.startswith("error: 1 stretch")
    [line] = checked.stdout.splitlines()
    assert line.startswith("Ouest") and "336 h without a primary" in line


def test_a_roster_naming_an_unknown_account_is_refused_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    source = tmp_path / "roster.yaml"
    source.write_text(roster_yaml(date(2026, 1, 1)).replace("order: [ben]", "order: [zed]"))
    refused = run(env, "roster", "import", str(source))
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: unknown or inactive account: zed"
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nteams: [{name: X}]\n")
    refused = run(env, "roster", "import", str(broken))
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
