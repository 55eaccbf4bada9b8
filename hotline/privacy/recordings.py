"""Recordings a contact points at, and deleting them from the provider.

A recording lives at Twilio, not here; a contact only keeps its RecordingSid inside its
sealed answers. Deleting goes through the :class:`~hotline.core.telephony.RecordingStore`
Protocol (the twilio SDK against ``HOTLINE_TWILIO_API_URL``, or in memory), and the Sid is
dropped from the answers only once the provider confirmed (a 404 counts: already gone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from hotline.core.logging import get_logger
from hotline.core.telephony import RecordingStore, TelephonyError

log = get_logger(__name__)

RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")


def recording_sids(answers: Mapping[str, Any]) -> list[str]:
    """Every RecordingSid among the answers' values (top level or in lists), in order."""
    found: list[str] = []
    for value in answers.values():
        items: Iterable[Any] = value if isinstance(value, list) else (value,)
        found.extend(item for item in items if isinstance(item, str) and RECORDING_SID.match(item))
    return list(dict.fromkeys(found))


def without_recordings(answers: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in answers.items():
        if isinstance(value, str) and RECORDING_SID.match(value):
            continue
        if isinstance(value, list):
            value = [v for v in value if not (isinstance(v, str) and RECORDING_SID.match(v))]
        kept[key] = value
    return kept


async def delete_all(store: RecordingStore, sids: Iterable[str]) -> tuple[int, list[str]]:
    """Delete each recording; return (deleted, the Sids that failed: retried by the next run)."""
    deleted, failed = 0, []
    for sid in sids:
        try:
            await store.delete_recording(sid)
            deleted += 1
        except TelephonyError as exc:
            failed.append(sid)
            log.warning("recording.delete_failed", retryable=exc.retryable, code=exc.code)
    return deleted, failed
