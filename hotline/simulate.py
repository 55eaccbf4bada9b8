"""A pretend Twilio: signed requests exactly as Twilio sends them, for demos and tests."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

import httpx
from twilio.request_validator import RequestValidator

HOTLINE_NUMBER = "+2371503"


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def sms_form(*, sender: str, body: str, sid: str | None = None, account_sid: str) -> dict[str, str]:
    whatsapp = sender.startswith("whatsapp:")
    return {
        "MessageSid": sid or new_sid("SM"),
        "SmsSid": sid or new_sid("SM"),
        "AccountSid": account_sid,
        "From": sender,
        "To": ("whatsapp:" if whatsapp else "") + HOTLINE_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }


def call_form(*, caller: str, sid: str | None = None, account_sid: str) -> dict[str, str]:
    return {
        "CallSid": sid or new_sid("CA"),
        "AccountSid": account_sid,
        "From": caller,
        "To": HOTLINE_NUMBER,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def sign(auth_token: str, url: str, form: Mapping[str, str]) -> str:
    return str(RequestValidator(auth_token).compute_signature(url, dict(form)))


def post_signed(
    *,
    public_base_url: str,
    target_base_url: str,
    path: str,
    form: Mapping[str, str],
    auth_token: str,
    timeout: float = 15.0,
) -> httpx.Response:
    """POST ``form`` to ``target_base_url + path``, signed for ``public_base_url + path``.

    The two differ behind a proxy: Twilio signs the public address, the request may go to
    a local one.
    """
    signature = sign(auth_token, public_base_url.rstrip("/") + path, form)
    return httpx.post(
        target_base_url.rstrip("/") + path,
        data=dict(form),
        headers={"X-Twilio-Signature": signature},
        timeout=timeout,
    )
