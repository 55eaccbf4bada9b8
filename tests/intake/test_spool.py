"""The spool keeps every line through failed replays and concurrent replayers."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from hotline.intake.spool import Spool


class DatabaseAway(Exception):
    pass


async def failing(_record: dict[str, Any]) -> None:
    raise DatabaseAway


async def test_lines_kept_by_failed_replays_are_never_overwritten_by_later_claims(tmp_path: Path) -> None:
    """A report spooled during an outage survives any number of failed replays before the database returns."""
    writer = Spool(tmp_path)
    for n in range(1, 5):
        await writer.append({"n": n})
        with pytest.raises(DatabaseAway):
            await writer.replay(failing)  # the database is still away: the claimed file is kept
    seen: list[int] = []

    async def ok(record: dict[str, Any]) -> None:
        seen.append(record["n"])

    assert writer.depth() == 4
    assert await writer.replay(ok) == 4
    assert sorted(seen) == [1, 2, 3, 4]
    assert writer.depth() == 0


async def test_an_appender_and_another_process_replaying_lose_no_line(tmp_path: Path) -> None:
    """Lines appended while another replayer keeps claiming the files are all replayed, none lost."""
    appender = Spool(tmp_path)
    replayer = Spool(tmp_path)  # its own lock, as another process would have
    seen: list[int] = []

    async def ok(record: dict[str, Any]) -> None:
        seen.append(record["n"])

    total = 400
    done = threading.Event()

    def append_all() -> None:
        for n in range(total):
            appender._append_sync({"n": n})
        done.set()

    thread = threading.Thread(target=append_all)
    thread.start()
    while not done.is_set():
        await replayer.replay(ok)
        await asyncio.sleep(0)
    thread.join()
    await replayer.replay(ok)
    assert sorted(seen) == list(range(total))
