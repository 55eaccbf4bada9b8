"""The ceiling for bench/intake.py: a new SMS report's essential work, without the framework.

Not a product path. It answers the question issue 2's target raises: how close to a no-op
endpoint can *any* route come that does what the intake route must do for a new report?
Everything a report needs is here, with the project's own functions where they exist:

* the body read behind the service's own 64 KiB limit, the form parsed, the Twilio signature checked;
* the number parsed and turned into a caller_ref; the caller's dialogue read from Redis;
* what they wrote sealed, the contact + outbox row + reply lookups in **one** PostgreSQL
  statement (the very statement ``hotline.intake.service`` runs, compiled once) on an
  asyncpg connection, with a fresh reference on a collision;
* the reply in the caller's language with their reference, as TwiML; a metric and a log
  line; the outbox id published to the Redis stream after the answer.

What it leaves out, and the intake route has: FastAPI (routing, dependencies, middleware,
error handlers), SQLAlchemy's execution layer, keywords and dialogues (the bench sends
none), the agents' acknowledgement check, the spool when PostgreSQL is down, the request id.
Any other request gets a 404. Run by ``bench/intake.py --floor`` with the intake server's
environment.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from starlette.datastructures import FormData

from hotline.cases.reference import new_reference
from hotline.core.config import load_settings
from hotline.core.http import BodyLimitMiddleware
from hotline.core.logging import configure_logging, get_logger
from hotline.core.runtime import Runtime, build_runtime
from hotline.core.twilio import _signed, field
from hotline.intake.identity import caller_ref_of, to_e164
from hotline.intake.service import IncomingContact, _postgres_record_with, contact_params
from hotline.sms.conversation import CALLER_CONTEXT, PROVIDER, caller_context_params
from hotline.sms.language import guess, preload
from hotline.sms.router import MAX_BODY_CHARS, twiml
from hotline.sms.templates import default_templates

log = get_logger("bench.floor")
PATH = "/twilio/sms/incoming"

_compiled = _postgres_record_with(CALLER_CONTEXT).compile(dialect=asyncpg_dialect.dialect())
SQL = str(_compiled)
DEFAULTS: dict[str, Any] = dict(_compiled.params)
ORDER: tuple[str, ...] = tuple(_compiled.positiontup or ())


class Floor:
    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        settings = load_settings()
        configure_logging(json=settings.log_json)
        preload()
        self.runtime = build_runtime(settings)
        self.pool = await asyncpg.create_pool(
            settings.database_url.replace("+asyncpg", ""), min_size=8, max_size=16
        )

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        if self.runtime is not None:
            await self.runtime.close()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.start()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await self.stop()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await answer(send, 404, b"text/plain", b"not here")
            return
        assert self.runtime is not None
        assert self.pool is not None
        runtime = self.runtime
        body = (await receive()).get("body", b"")  # whole, and within the limit: BodyLimitMiddleware
        form = FormData(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        signature = next((v for k, v in scope["headers"] if k == b"x-twilio-signature"), b"")
        url = runtime.settings.public_base_url + PATH
        if not _signed(runtime.validator, url, form, signature.decode("latin-1"), None):
            await answer(send, 403, b"text/plain", b"invalid Twilio signature")
            return
        started = time.perf_counter()
        e164 = to_e164(field(form, "From", limit=64), runtime.settings.default_region)
        incoming = IncomingContact(
            provider=PROVIDER,
            provider_id=field(form, "MessageSid", limit=64),
            channel="sms",
            caller_ref=caller_ref_of(e164, runtime.pepper),
            body=field(form, "Body", limit=MAX_BODY_CHARS) or None,
        )
        await runtime.dialogues.get(f"sms:{incoming.caller_ref}")  # the route reads it for every text
        row = await self.record(incoming)
        reference = row["follow_up"] or incoming.reference
        language = guess(incoming.body or "") or "fr"
        text = default_templates().render("received", language, reference=reference)
        runtime.metrics.webhooks.labels(route="sms.incoming", outcome="stored").inc()
        runtime.metrics.webhook_seconds.labels(route="sms.incoming").observe(time.perf_counter() - started)
        log.info("sms.received", channel="sms", outcome="stored", media=0)
        await answer(send, 200, b"application/xml", bytes(twiml(text).body))
        if row["outbox_id"] is not None:
            await runtime.queue.publish(row["outbox_id"])

    async def record(self, incoming: IncomingContact) -> Any:
        assert self.runtime is not None
        assert self.pool is not None
        for _ in range(5):
            params = {
                **DEFAULTS,
                **contact_params(incoming, self.runtime.keyring, uuid.uuid4()),
                **caller_context_params(incoming),
                "received_at_outbox": incoming.received_at,
            }
            try:
                async with self.pool.acquire() as connection:
                    return await connection.fetchrow(SQL, *(params[name] for name in ORDER))
            except asyncpg.UniqueViolationError:
                incoming = dataclasses.replace(incoming, reference=new_reference())
        raise RuntimeError("no free reference")


async def answer(send: Any, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


#: The service's own body limit in front (413 over ``HOTLINE_MAX_BODY_BYTES``): it reads the
#: whole body and hands it on in one message.
app = BodyLimitMiddleware(Floor(), limit=load_settings().max_body_bytes)
