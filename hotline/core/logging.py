"""Structured logs that never carry a caller's number, words or recording.

Redaction happens in two layers, because one is never enough:

* keys that name personal data (``body``, ``from``, ``recording_url``…) have their value replaced;
* every string value is scrubbed of things shaped like a phone number (nine digits or more,
  or ``+`` and seven digits or more, with any separators) and of URLs carrying Twilio Sids.

Case references are eight digits, under the phone threshold, so they stay readable.
Tracebacks are rendered plainly, without local variables, and SQLAlchemy engines are built
with ``hide_parameters=True`` so a failed INSERT never prints the row.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import IO, Any

import structlog

REDACTED = "[redacted]"

PERSONAL_KEYS = frozenset(
    {
        "body",
        "text",
        "message",
        "from",
        "from_",
        "to",
        "phone",
        "number",
        "msisdn",
        "caller",
        "e164",
        "callback_number",
        "recording_url",
        "recordingurl",
        "transcript",
        "transcriptiontext",
        "phonenumber",
        "caller_number",
        "called",
    }
)

CHATTY_LOGGERS = (
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "twilio.http_client",
    "httpcore",
    "uvicorn.access",
    "multipart",
    "python_multipart",
)

# A number stands alone: digits glued to letters belong to an identifier (a Sid, a UUID).
_PHONE = re.compile(r"(?<![A-Za-z0-9])(?:\+\s*\d(?:[\s\-.()]*\d){6,}|\d(?:[\s\-.()]*\d){8,})(?![A-Za-z0-9])")
_SID_URL = re.compile(r"https?://\S*(?:RE|CA|SM|MM|AC)[0-9a-f]{32}\S*", re.IGNORECASE)
# A partner's referral link is a credential (hotline.referrals.links): never written anywhere.
_PARTNER_LINK = re.compile(r"/r/[A-Za-z0-9_-]{16,}(?:\.[A-Za-z0-9_-]*)?")


def scrub(value: str) -> str:
    """Remove phone-shaped numbers, Twilio-Sid URLs and partner links from free text."""
    value = _SID_URL.sub(REDACTED, value)
    value = _PARTNER_LINK.sub("/r/" + REDACTED, value)
    return _PHONE.sub(REDACTED, value)


def _redact(value: Any, depth: int = 0) -> Any:
    if depth > 4:
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if str(k).lower() in PERSONAL_KEYS else _redact(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(v, depth + 1) for v in value]
    return value


def redact_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the last line of defence before anything is written."""
    for key in list(event_dict):
        if key.lower() in PERSONAL_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key])
    return event_dict


def shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_personal_data,
    ]


def configure_logging(
    *, json: bool | None = None, level: str = "INFO", stream: IO[str] | None = None
) -> None:
    """JSON lines in production or when piped, a readable console on a terminal."""
    if json is None:
        json = not sys.stderr.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # These libraries log statement parameters or request bodies (a message text, a number)
    # below WARNING; no log level of ours may turn them on.
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
