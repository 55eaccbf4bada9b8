"""Re-computing the audit chain, and anchors an outside party can hold.

:func:`verify` walks ``audit_log`` in ``seq`` order and stops at the first entry that does
not hold, naming it and saying what is wrong with it:

* ``missing``: a sequence number is absent (an entry was deleted, or the history was cut
  short below an anchor);
* ``altered``: an entry's content no longer matches its own hash (it was edited);
* ``reordered``: an entry holds content that hashes correctly only under another sequence
  number (entries were swapped, or one was removed and the rest renumbered);
* ``inserted``: entries were slipped in and the ones after them renumbered;
* ``unlinked``: an entry's ``prev_hash`` is not its predecessor's hash (the predecessor was
  rewritten and re-hashed, or this entry was forged);
* ``anchor``: the entry an anchor names has another hash (the history up to it was rewritten).

An anchor is ``HASH@SEQ`` (:func:`anchor`): whoever holds one can later prove that nothing up
to SEQ changed, even if every later hash was recomputed.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit.service import GENESIS_HASH, entry_hash, head
from hotline.models import AuditEntry

PAGE = 5000
# How far from its place a moved entry is looked for, and how many recent hashes are kept.
SEARCH_WINDOW = 64
_ANCHOR = re.compile(r"^([0-9a-f]{64})@(\d+)$")


class BadAnchor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Anchor:
    hash: str
    seq: int

    @classmethod
    def parse(cls, text: str) -> Anchor:
        match = _ANCHOR.match(text.strip().lower())
        if match is None:
            raise BadAnchor(f"an anchor is HASH@SEQ (64 hex digits, @, a number), not {text[:80]!r}")
        return cls(hash=match.group(1), seq=int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.hash}@{self.seq}"


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"entry {self.seq} {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Report:
    checked: int
    head: Anchor
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class _Row:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str

    def recompute(self, seq: int | None = None) -> str:
        return entry_hash(
            seq=self.seq if seq is None else seq,
            at=self.at,
            actor=self.actor,
            action=self.action,
            subject=self.subject,
            details=self.details,
            prev_hash=self.prev_hash,
        )


async def anchor(session: AsyncSession) -> Anchor:
    """The current head as ``HASH@SEQ`` (the genesis hash at 0 for an empty log)."""
    last = await head(session)
    return Anchor(GENESIS_HASH, 0) if last is None else Anchor(last.hash, last.seq)


async def _rows(session: AsyncSession, page: int) -> AsyncIterator[_Row]:
    table = AuditEntry.__table__
    after = -1
    while True:
        result = await session.execute(
            select(table).where(table.c.seq > after).order_by(table.c.seq).limit(page)
        )
        batch = result.all()
        for row in batch:
            yield _Row(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                subject=row.subject,
                details=dict(row.details or {}),
                prev_hash=row.prev_hash,
                hash=row.hash,
            )
        if len(batch) < page:
            return
        after = batch[-1].seq


def _moved_from(row: _Row) -> int | None:
    """The sequence number under which this entry's content hashes to its stored hash, if near."""
    for distance in range(1, SEARCH_WINDOW + 1):
        for candidate in (row.seq - distance, row.seq + distance):
            if candidate >= 1 and row.recompute(candidate) == row.hash:
                return candidate
    return None


def _check(row: _Row, prev_seq: int, prev_hash: str, recent: deque[tuple[int, str]]) -> Problem | None:
    expected = prev_seq + 1
    if row.seq > expected:
        return Problem(expected, "missing", f"no entry {expected}; the next one present is {row.seq}")
    if row.recompute() != row.hash:
        original = _moved_from(row)
        if original is None:
            return Problem(row.seq, "altered", "its content does not match its hash: it was edited")
        followed = dict(recent).get(original - 1, GENESIS_HASH if original == 1 else None)
        if original < row.seq and followed == row.prev_hash:
            return Problem(
                original,
                "inserted",
                f"entry {row.seq} was entry {original} and still follows entry {original - 1}: "
                f"{row.seq - original} entr{'y was' if row.seq - original == 1 else 'ies were'} "
                "slipped in before it",
            )
        return Problem(
            row.seq,
            "reordered",
            f"it holds the content of entry {original}: entries were swapped, or one was removed "
            "and the rest renumbered",
        )
    if row.prev_hash != prev_hash:
        return Problem(
            row.seq,
            "unlinked",
            f"its prev_hash is not entry {prev_seq}'s hash: entry {prev_seq} was rewritten "
            f"after entry {row.seq} was written, or entry {row.seq} was forged",
        )
    return None


async def verify(session: AsyncSession, *, anchor: Anchor | None = None, page: int = PAGE) -> Report:
    """Walk the whole chain; stop at the first problem. With ``anchor``, also prove that the
    entry it names still has the hash it had when the anchor was taken."""
    prev_seq, prev_hash = 0, GENESIS_HASH
    recent: deque[tuple[int, str]] = deque(maxlen=SEARCH_WINDOW + 1)
    checked = 0
    async for row in _rows(session, page):
        problem = _check(row, prev_seq, prev_hash, recent)
        if problem is None and anchor is not None and row.seq == anchor.seq and row.hash != anchor.hash:
            problem = Problem(
                row.seq, "anchor", "its hash differs from the anchor: the history up to it was rewritten"
            )
        if problem is not None:
            return Report(checked=checked, head=Anchor(prev_hash, prev_seq), problem=problem)
        checked += 1
        recent.append((row.seq, row.hash))
        prev_seq, prev_hash = row.seq, row.hash
    if anchor is not None:
        if anchor.seq > prev_seq:
            problem = Problem(
                anchor.seq,
                "missing",
                f"the anchor names it but the log ends at {prev_seq}: entries were removed",
            )
            return Report(checked=checked, head=Anchor(prev_hash, prev_seq), problem=problem)
        if anchor.seq == 0 and anchor.hash != GENESIS_HASH:
            return Report(
                checked=checked,
                head=Anchor(prev_hash, prev_seq),
                problem=Problem(0, "anchor", "an anchor at 0 must carry the genesis hash"),
            )
    return Report(checked=checked, head=Anchor(prev_hash, prev_seq))
