"""Twilio's side of a webhook: proof that Twilio sent it, and the form it sent.

The signature covers the URL Twilio called and every form field. Behind a proxy the URL the
app sees differs from the one Twilio used, so the URL is rebuilt from
``HOTLINE_PUBLIC_BASE_URL`` + the path + the raw query string, never from Host headers that
a client controls. There is no setting that turns the check off.
"""

from __future__ import annotations

import hmac
from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData
from twilio.request_validator import SIGNATURE_HEADER, RequestValidator, get_signature_algorithm

from hotline.core.http import RuntimeDep
from hotline.core.logging import get_logger

log = get_logger(__name__)

SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"


def public_url(base: str, request: Request) -> str:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


async def read_form(request: Request) -> FormData:
    try:
        return await request.form(max_files=0, max_fields=200)
    except Exception as exc:
        raise HTTPException(status_code=400, detail="malformed form body") from exc


def route_label(request: Request) -> str:
    """The matched route's template (``/twilio/voice/menu/{step}``), never the path a client
    chose: a metrics label is a closed set (issue 20: forged requests to invented paths grew
    /metrics to 14,028 series)."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


async def verified_form(request: Request, runtime: RuntimeDep) -> FormData:
    """The request's form, once its X-Twilio-Signature proved Twilio sent it; 403 otherwise."""
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:
        runtime.metrics.webhooks.labels(route=route_label(request), outcome="unsigned").inc()
        raise HTTPException(status_code=403, detail="missing Twilio signature")
    form = await read_form(request)
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    url = public_url(runtime.settings.public_base_url, request)
    if not _signed(runtime.validator, url, form, signature, algorithm):
        runtime.metrics.webhooks.labels(route=route_label(request), outcome="forged").inc()
        log.warning("webhook.bad_signature", route=route_label(request))
        raise HTTPException(status_code=403, detail="invalid Twilio signature")
    for key in ("MessageSid", "CallSid", "SmsSid"):
        sid = form.get(key)
        if isinstance(sid, str) and sid:
            structlog.contextvars.bind_contextvars(provider_id=sid[:64])
            break
    return form


def _signed(
    validator: RequestValidator, url: str, form: FormData, signature: str, algorithm: str | None
) -> bool:
    """The SDK's check, with the common case first.

    ``RequestValidator.validate`` always computes two signatures (the URL with and without its
    port, as Twilio may sign either); the URL exactly as configured is what Twilio signs in the
    common case, so that one is tried alone first. A miss, an unknown algorithm or a
    ``bodySHA256`` query (a JSON body, whose hash only ``validate`` checks) goes to ``validate``.
    """
    if "bodySHA256" not in url:
        try:
            expected = validator.compute_signature(url, form, algorithm=algorithm)
        except ValueError:
            expected = None
        if expected is not None and hmac.compare_digest(
            expected.encode(), signature.encode("latin-1", "replace")
        ):
            return True
    return bool(validator.validate(url, form, signature, algorithm=algorithm))


TwilioForm = Annotated[FormData, Depends(verified_form)]


def field(form: FormData, name: str, *, limit: int = 4096) -> str:
    """A form value as text (empty when absent), capped, with NUL bytes removed."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "")[:limit]
