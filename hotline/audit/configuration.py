"""Configuration changes as audit events.

At start-up the worker compares the settings that decide what happens to personal data
(retention periods, which data keys are configured, the caller pepper, training mode) with
the last ``config.changed`` entry, and appends a new one when they differ. Secrets never
enter the chain: keys appear by id, the pepper as a short fingerprint.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.audit import service as audit
from hotline.core.config import Settings
from hotline.core.crypto import build_keyring
from hotline.models import AuditEntry

CHANGED = "config.changed"


def audited_settings(settings: Settings) -> dict[str, audit.DetailValue]:
    pepper = settings.caller_pepper.get_secret_value().encode("utf-8")
    return {
        "env": settings.env.value,
        "training": settings.training,
        "data_keys": ",".join(build_keyring(settings).key_ids),
        "pepper": hashlib.sha256(b"hotline:pepper-fingerprint:" + pepper).hexdigest()[:12],
        "retention_body_days": settings.retention_body_days,
        "retention_recording_days": settings.retention_recording_days,
        "retention_callback_days": settings.retention_callback_days,
    }


async def record_configuration(
    session: AsyncSession, settings: Settings, *, actor: str = audit.SYSTEM
) -> bool:
    """Append ``config.changed`` when the audited settings differ from the last recorded ones."""
    current = audited_settings(settings)
    last = await session.scalar(
        select(AuditEntry.details)
        .where(AuditEntry.action == CHANGED)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )
    previous = {key: value for key, value in (last or {}).items() if key != "changed"}
    if previous == current:
        return False
    changed = sorted(key for key in current if previous.get(key) != current[key])
    await audit.append(
        session, actor=actor, action=CHANGED, details={**current, "changed": ",".join(changed)}
    )
    return True
