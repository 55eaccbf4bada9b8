"""The spool: where a report waits when the database cannot take it.

When PostgreSQL is unreachable at webhook time the handler still answers the caller, and
the delivery is appended as one JSON line to a file under ``SPOOL_DIR``, flushed and
fsync'd before the answer goes out. The replayer feeds every line back through the same
idempotent intake path (the unique provider id makes a replayed line that already landed a
no-op) and removes a file only once all its lines are in the database.

Each process appends to its own file, so appends never interleave. A file is claimed for
replay by renaming it to a name of its own (a failed replay keeps its claimed file, and a
later claim must never overwrite it). Appender and claimer meet under an ``flock`` on the
file, and an appender checks its file still stands at the active path before writing, so a
line is never written into a file another process has already claimed and read. A replayer
that dies leaves a ``.replaying`` file that the next replay picks up again, harmlessly.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hotline.core.logging import get_logger

log = get_logger(__name__)

ACTIVE_SUFFIX = ".jsonl"
CLAIMED_SUFFIX = ".replaying"
REMEMBERED_REFERENCES = 10_000


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._file = directory / f"spool-{os.getpid()}-{time.time_ns()}{ACTIVE_SUFFIX}"
        self._references: OrderedDict[tuple[str, str], str] = OrderedDict()

    def remember(self, provider: str, provider_id: str, reference: str) -> None:
        """Keep the reference given for a spooled delivery, so a provider retry hears the same one."""
        self._references[(provider, provider_id)] = reference
        while len(self._references) > REMEMBERED_REFERENCES:
            self._references.popitem(last=False)

    def reference_for(self, provider: str, provider_id: str) -> str | None:
        return self._references.get((provider, provider_id))

    def _append_sync(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            created = not self._file.exists()
            while True:
                fd = os.open(self._file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    # A replayer in another process may have claimed (renamed) the file between our
                    # open and now; writing to it then would put the line where nobody reads again.
                    # Under the lock a claimer also takes, check the path still names our file.
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    if not _names(self._file, fd):
                        created = True
                        continue
                    os.write(fd, line)
                    os.fsync(fd)
                    break
                finally:
                    os.close(fd)  # releases the flock
            if created:
                dir_fd = os.open(self.directory, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)

    async def append(self, record: dict[str, Any]) -> None:
        await asyncio.to_thread(self._append_sync, record)

    def depth(self) -> int:
        """Lines waiting in the spool (files are small: this runs on a metrics scrape)."""
        if not self.directory.exists():
            return 0
        total = 0
        for path in self.directory.iterdir():
            if path.suffix in (ACTIVE_SUFFIX, CLAIMED_SUFFIX):
                try:
                    with path.open("rb") as handle:
                        total += sum(1 for line in handle if line.strip())
                except FileNotFoundError:
                    continue  # replayed meanwhile
        return total

    def _claim(self) -> list[Path]:
        """Take every active file for replay, and every file an earlier replay kept.

        Each claim gets a name of its own: a file kept by a failed replay must never be
        replaced by a later claim of the same active file (rename replaces silently).
        """
        if not self.directory.exists():
            return []
        claimed = []
        with self._lock:
            for path in sorted(self.directory.iterdir()):
                if path.suffix == CLAIMED_SUFFIX:
                    claimed.append(path)
                elif path.suffix == ACTIVE_SUFFIX:
                    target = path.with_name(f"{path.stem}.{time.time_ns()}{CLAIMED_SUFFIX}")
                    try:
                        fd = os.open(path, os.O_RDONLY)
                    except FileNotFoundError:
                        continue  # another replayer took it
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX)  # waits for an append in progress
                        if not _names(path, fd):
                            continue  # renamed by another replayer meanwhile
                        path.rename(target)
                    finally:
                        os.close(fd)
                    claimed.append(target)
        return sorted(claimed)

    async def replay(self, feed: Callable[[dict[str, Any]], Awaitable[None]]) -> int:
        """Feed every spooled record to ``feed``; stop at the first failure and keep the rest.

        Returns the number of records fed. A file is deleted only when every line went in.
        """
        fed = 0
        for path in await asyncio.to_thread(self._claim):
            try:
                lines = (await asyncio.to_thread(path.read_bytes)).splitlines()
            except FileNotFoundError:
                continue  # another replayer finished it

            for number, raw in enumerate(lines, start=1):
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except ValueError:
                    # A torn last line from a crash mid-write; the webhook never answered it.
                    log.warning("spool.line_unreadable", file=path.name, line=number)
                    continue
                await feed(record)
                fed += 1
            await asyncio.to_thread(path.unlink, missing_ok=True)
        return fed


def _names(path: Path, fd: int) -> bool:
    """True when ``path`` still names the file open as ``fd``."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
