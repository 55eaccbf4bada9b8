"""The queue's table rows, as HTML, built in Python.

The queue shows up to 500 cases and is re-read by every open console whenever any case
changes, so its rows are the console's hot loop. Rendered by Jinja they cost ~5 times more
(an ``escape()`` and a ``getattr`` per cell, a generator step per fragment); here they are
f-strings over :func:`html.escape` with the per-language words escaped once and cached.
The rest of the page stays in ``queue.html``/``_rows.html``; docs/performance.md has the figures.

Every value from the database is escaped except the case id (a UUID) and the deadline (a
datetime), whose text the code itself makes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from html import escape
from typing import Any, Protocol

from markupsafe import Markup

from hotline.console.i18n import SEVERITY_WORDS, STATUS_WORDS, translate


class QueueRow(Protocol):
    """What a row needs: the columns of ``hotline.cases.repository.QUEUE_COLUMNS``."""

    @property
    def id(self) -> Any: ...
    @property
    def reference(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def severity(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def abroad(self) -> bool | None: ...
    @property
    def minor(self) -> bool | None: ...
    @property
    def imminent_danger(self) -> bool | None: ...
    @property
    def training(self) -> bool: ...
    @property
    def ack_deadline(self) -> datetime | None: ...
    @property
    def assignee_username(self) -> str | None: ...
    @property
    def assignee_name(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class _Words:
    """One language's labels and words, already escaped."""

    severity: str
    reference: str
    category: str
    region: str
    channel: str
    status: str
    assignee: str
    deadline: str
    unassigned: str
    danger_flag: str
    minor_flag: str
    training_flag: str
    values: dict[str, str]


@cache
def _words(language: str) -> _Words:
    def word(key: str) -> str:
        return escape(translate(language, key))

    return _Words(
        severity=word("severity"),
        reference=word("reference"),
        category=word("category"),
        region=word("region"),
        channel=word("channel"),
        status=word("status"),
        assignee=word("assignee"),
        deadline=word("deadline"),
        unassigned=word("unassigned"),
        danger_flag=f' <span class="flag">{word("danger")}</span>',
        minor_flag=f' <span class="flag">{word("minor")}</span>',
        training_flag=f' <span class="flag">{word("training")}</span>',
        values={key: word(key) for key in (*SEVERITY_WORDS, *STATUS_WORDS)},
    )


def render_rows(rows: Iterable[QueueRow], language: str) -> Markup:
    """The ``<tr>`` of every row (nothing for no rows: the template says "no cases")."""
    w = _words(language)
    # Categories, regions, channels, statuses and assignees repeat: each is escaped once.
    escaped: dict[str, str] = {"": ""}

    def e(value: str) -> str:
        found = escaped.get(value)
        if found is None:
            found = escaped[value] = escape(value)
        return found

    values = w.values
    out: list[str] = []
    for c in rows:
        severity = c.severity
        if severity:
            sev = e(severity)
            sev_word = values.get(severity) or sev
        else:
            sev, sev_word = "none", "…"
        flags = (w.danger_flag if c.imminent_danger else "") + (w.minor_flag if c.minor else "")
        reference = c.reference if c.reference.isalnum() else escape(c.reference)
        category = e((c.category or "…").replace("_", " "))
        region = e(c.region or ("abroad" if c.abroad else "?"))
        who = c.assignee_name or c.assignee_username
        assignee = e(who) if c.assignee_username and who else w.unassigned
        status = c.status
        due = c.ack_deadline
        if due is not None and status == "new":
            deadline = (
                f'<time class="countdown" datetime="{due.isoformat()}">{due.hour:02d}:{due.minute:02d}</time>'
            )
        else:
            deadline = "–"
        out.append(
            f'<tr class="sev-{sev}" data-reference="{reference}">\n'
            f'  <td data-label="{w.severity}"><span class="badge sev-{sev}">{sev_word}</span>{flags}</td>\n'
            f'  <td data-label="{w.reference}"><a href="/console/cases/{c.id}">{reference}</a>'
            f"{w.training_flag if c.training else ''}</td>\n"
            f'  <td data-label="{w.category}">{category}</td>\n'
            f'  <td data-label="{w.region}">{region}</td>\n'
            f'  <td data-label="{w.channel}">{e(c.channel)}</td>\n'
            f'  <td data-label="{w.status}">{values.get(status) or e(status)}</td>\n'
            f'  <td data-label="{w.assignee}">{assignee}</td>\n'
            f'  <td data-label="{w.deadline}">{deadline}</td>\n'
            "</tr>\n"
        )
    return Markup("".join(out))  # noqa: S704 - every database value above went through escape()
