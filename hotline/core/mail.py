"""Email to partners: a small Protocol, SMTP with aiosmtplib, and an in-memory stand-in.

Email is sent by the worker from ``outbound_messages`` (channel ``email``, destination
``mailto:<address>``) with the same lease, retry and wipe-when-final rules as SMS
(:mod:`hotline.sms.outbound`). Only configured when ``HOTLINE_SMTP_HOST`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from hotline.core.config import Settings


class MailError(Exception):
    def __init__(self, code: str, *, retryable: bool) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass
class InMemoryMailer:
    """Keeps what would have been sent (training rooms, tests without an SMTP server)."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    async def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))


@dataclass
class SmtpMailer:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout: float = 20.0

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.starttls if self.port != 465 else False,
                use_tls=self.port == 465,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused:
            raise MailError("recipient_refused", retryable=False) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise MailError(f"smtp {exc.code}", retryable=exc.code >= 400 and exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailError(type(exc).__name__, retryable=True) from None


def build_mailer(settings: Settings) -> Mailer | None:
    if not settings.smtp_host:
        return None
    if settings.training:
        return InMemoryMailer()
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() or None,
        starttls=settings.smtp_starttls,
    )
