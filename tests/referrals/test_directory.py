"""The partner directory: a YAML file, validated before anything is written, imported as an upsert."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.db import unit_of_work
from hotline.core.runtime import Runtime
from hotline.models import Partner, PartnerContact
from hotline.referrals.directory import DirectoryError, demo_directory, import_directory, parse_directory

GOOD = """
partners:
  - slug: ngo-test
    name: Test NGO
    kind: ngo
    services: [trafficking]
    regions: [Centre]
    contacts:
      - {name: Ada, phone: "699 99 09 09", vetted: true}
"""


def test_the_demo_directory_is_valid_fictional_and_covers_every_kind() -> None:
    directory = demo_directory()
    kinds = {p.kind for p in directory.partners}
    assert kinds >= {
        "iom",
        "police",
        "gendarmerie",
        "unhcr",
        "child_protection",
        "health",
        "shelter",
        "legal_aid",
        "ngo",
    }
    for partner in directory.partners:
        assert "demo" in partner.name.lower()
        for contact in partner.contacts:
            assert contact.phone is None or contact.phone.startswith("+23769999")
            assert contact.email is None or contact.email.endswith("example.cm")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("kind: ngo", "kind: church"), "partners.0.kind"),
        (("[Centre]", "[Centre, Mars]"), "unknown regions"),
        (("[trafficking]", "[traffiking]"), "unknown services"),
        (('"699 99 09 09"', '"12"'), "phone"),
        (("slug: ngo-test", "slug: NGO Test"), "slug"),
        (("name: Ada", "nom: Ada"), "contacts.0"),
    ],
)
def test_a_bad_file_is_refused_with_the_place_of_the_error(change: tuple[str, str], message: str) -> None:
    with pytest.raises(DirectoryError) as error:
        parse_directory(GOOD.replace(*change))
    assert message in str(error.value)


def test_the_same_slug_twice_is_refused() -> None:
    doubled = GOOD + GOOD.split("partners:\n", 1)[1]
    with pytest.raises(DirectoryError, match="slug used twice: ngo-test"):
        parse_directory(doubled)


async def test_a_second_import_updates_in_place(runtime: Runtime, session: AsyncSession) -> None:
    now = datetime.now(UTC)
    async with unit_of_work(runtime.sessions) as s:
        assert (await import_directory(s, parse_directory(GOOD), now=now))["created"] == 1
    changed = GOOD.replace("Test NGO", "Test NGO renamed").replace("vetted: true", "vetted: false")
    async with unit_of_work(runtime.sessions) as s:
        counts = await import_directory(s, parse_directory(changed), now=now)
    assert counts == {"created": 0, "updated": 1, "contacts": 1}
    partner = (await session.execute(select(Partner))).scalar_one()
    contact = (await session.execute(select(PartnerContact))).scalar_one()
    assert partner.name == "Test NGO renamed"
    assert contact.phone == "+237699990909" and contact.vetted_at is None


def test_the_cli_imports_a_file_and_refuses_a_bad_one(tmp_path: Path) -> None:
    env = {
        "HOTLINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    hotline = [sys.executable, "-m", "hotline.cli"]
    upgrade = subprocess.run(
        [*hotline, "db", "upgrade"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert upgrade.returncode == 0, upgrade.stderr
    good = tmp_path / "partners.yaml"
    good.write_text(GOOD)
    done = subprocess.run(
        [*hotline, "partners", "import", str(good)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "imported 1 partners (1 new, 0 updated, 1 contacts)" in done.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("kind: ngo", "kind: church"))
    refused = subprocess.run(
        [*hotline, "partners", "import", str(bad)], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1 and "unknown kind 'church'" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    exported = subprocess.run([*hotline, "partners", "export"], env=env, capture_output=True, text=True)
    assert exported.returncode == 0 and "slug: ngo-test" in exported.stdout
    assert parse_directory(exported.stdout).partners[0].contacts[0].phone == "+237699990909"
