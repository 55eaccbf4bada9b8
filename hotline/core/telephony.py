"""Outbound telephony: SMS to people and calls to agents, through Twilio's REST API.

Everything leaves through two small Protocols, so the rest of the code never sees the SDK:

* :class:`SmsSender` sends a text and returns Twilio's message Sid and first status;
* :class:`Caller` places a call whose TwiML Twilio fetches from one of our URLs.

:class:`TwilioTelephony` implements both with the twilio SDK's async client. The SDK's HTTP
layer is pluggable; ours (:class:`HttpxTwilioClient`) sends its requests with httpx to
``HOTLINE_TWILIO_API_URL`` (Twilio's API by default, a local fake server in tests), never
logs a request's parameters (they hold phone numbers and message texts), and turns network
failures into :class:`TelephonyError` with ``retryable=True``.

:class:`InMemoryTelephony` keeps what would have been sent, for the embedded demo and the
training room, where no real phone may ever ring.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from hotline.core.logging import get_logger

log = get_logger(__name__)

TWILIO_API_HOST_SUFFIX = ".twilio.com"


class TelephonyError(Exception):
    """A send or a call failed. ``retryable``: worth trying again later (network, 429, 5xx)."""

    def __init__(self, message: str, *, retryable: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


@dataclass(frozen=True, slots=True)
class SentMessage:
    sid: str
    status: str


@dataclass(frozen=True, slots=True)
class PlacedCall:
    sid: str
    status: str


class SmsSender(Protocol):
    async def send_sms(self, to: str, body: str, *, status_callback: str | None = None) -> SentMessage: ...


class Caller(Protocol):
    async def call(
        self, to: str, *, twiml_url: str, status_callback: str | None = None, timeout_seconds: int = 30
    ) -> PlacedCall: ...


class RecordingStore(Protocol):
    async def delete_recording(self, recording_sid: str) -> None: ...


class Telephony(SmsSender, Caller, RecordingStore, Protocol):
    """Everything outbound, as the Runtime holds it."""

    async def close(self) -> None: ...


class HttpxTwilioClient(AsyncHttpClient):  # type: ignore[misc]
    """The SDK's async HTTP client, on httpx, aimed at ``api_url`` instead of twilio.com."""

    def __init__(
        self, api_url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ):
        super().__init__(log, True, timeout)
        target = urlsplit(api_url.rstrip("/"))
        self._scheme, self._netloc, self._prefix = target.scheme, target.netloc, target.path
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport)

    def _rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.netloc.endswith(TWILIO_API_HOST_SUFFIX):
            raise TelephonyError("refusing a request outside Twilio's API", retryable=False)
        return urlunsplit((self._scheme, self._netloc, self._prefix + parts.path, parts.query, ""))

    async def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's signature
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        try:
            response = await self._client.request(
                method,
                self._rewrite(uri),
                params=params,  # type: ignore[arg-type]
                data=data,
                headers=headers,
                auth=auth,
                timeout=timeout or self.timeout,
                follow_redirects=allow_redirects,
            )
        except httpx.HTTPError as exc:
            raise TelephonyError(f"Twilio API unreachable: {type(exc).__name__}", retryable=True) from exc
        return TwilioResponse(response.status_code, response.text, response.headers)

    async def close(self) -> None:
        await self._client.aclose()


def _failure(exc: TwilioRestException) -> TelephonyError:
    status = int(exc.status or 0)
    return TelephonyError(
        f"Twilio refused: HTTP {status} code {exc.code}",
        retryable=status == 429 or status >= 500,
        code=exc.code,
    )


class TwilioTelephony:
    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        api_url: str,
        from_number: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = HttpxTwilioClient(api_url, transport=transport)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self._from = from_number

    async def send_sms(self, to: str, body: str, *, status_callback: str | None = None) -> SentMessage:
        kwargs: dict[str, Any] = {"to": to, "from_": self._from, "body": body}
        if to.startswith("whatsapp:") and not self._from.startswith("whatsapp:"):
            kwargs["from_"] = f"whatsapp:{self._from}"
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = await self._client.messages.create_async(**kwargs)
        except TwilioRestException as exc:
            raise _failure(exc) from None
        return SentMessage(sid=str(message.sid), status=str(message.status))

    async def call(
        self, to: str, *, twiml_url: str, status_callback: str | None = None, timeout_seconds: int = 30
    ) -> PlacedCall:
        kwargs: dict[str, Any] = {"to": to, "from_": self._from, "url": twiml_url, "timeout": timeout_seconds}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            call = await self._client.calls.create_async(**kwargs)
        except TwilioRestException as exc:
            raise _failure(exc) from None
        return PlacedCall(sid=str(call.sid), status=str(call.status))

    async def delete_recording(self, recording_sid: str) -> None:
        try:
            await self._client.recordings(recording_sid).delete_async()
        except TwilioRestException as exc:
            if int(exc.status or 0) == 404:
                return  # already gone: deleting is idempotent
            raise _failure(exc) from None

    async def close(self) -> None:
        await self._http.close()


@dataclass
class InMemoryTelephony:
    """Keeps every message and call instead of sending it (demo, training room, tests)."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    deleted_recordings: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def send_sms(self, to: str, body: str, *, status_callback: str | None = None) -> SentMessage:
        self.messages.append((to, body))
        return SentMessage(sid=f"SM{next(self._ids):032x}", status="queued")

    async def call(
        self, to: str, *, twiml_url: str, status_callback: str | None = None, timeout_seconds: int = 30
    ) -> PlacedCall:
        self.calls.append((to, twiml_url))
        return PlacedCall(sid=f"CA{next(self._ids):032x}", status="queued")

    async def delete_recording(self, recording_sid: str) -> None:
        self.deleted_recordings.append(recording_sid)

    async def close(self) -> None:
        return None
