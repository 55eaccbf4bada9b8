"""Random and malformed forms, correctly signed, to every Twilio webhook: never a 5xx.

A valid signature gets a request past the first gate, so this is what a confused or compromised
provider (or a bug at Twilio) could send: missing fields, unknown fields, wrong types, odd
Unicode, control characters, huge values, unknown IVR steps. The answer may be a 4xx or a polite
TwiML, never a 500 (DESIGN invariant 6).
"""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.simulate import call_form, new_sid, sign, sms_form
from tests.fixtures.env import AUTH_TOKEN
from tests.fuzz.conftest import Server

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

ACCOUNT = "AC" + "0" * 32
STEPS = ["language", "topic", "child", "region", "connect", "record", "nope", "..", "%00", "x" * 300]
PATHS = [
    "/twilio/sms/incoming",
    "/twilio/sms/status",
    "/twilio/voice/incoming",
    "/twilio/voice/status",
    "/twilio/voice/recording",
    "/twilio/notify/call",
    "/twilio/notify/call/ack",
    *(f"/twilio/voice/{kind}/{step}" for kind in ("menu", "dialed", "recorded") for step in STEPS[:7]),
]
FIELDS = [
    "MessageSid", "SmsSid", "CallSid", "AccountSid", "From", "To", "Body", "NumMedia", "Digits",
    "CallStatus", "MessageStatus", "RecordingSid", "RecordingUrl", "RecordingDuration", "RecordingStatus",
    "DialCallStatus", "DialCallDuration", "CallDuration", "FinishedOnKey", "ErrorCode", "ApiVersion",
    "Direction", "SpeechResult", "MediaUrl0", "ProfileName", "WaId",
]  # fmt: skip
odd_text = st.one_of(
    # No lone surrogates: they cannot be encoded in a request at all (Twilio could not send them).
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
    st.text(alphabet=st.characters(max_codepoint=0x2FFFF, exclude_categories=["Cs"]), max_size=200),
    st.sampled_from(["", " ", "+", "+237", "+2376" + "9" * 30, "whatsapp:", "whatsapp:+237690000000",
                     "-1", "0", "99999999999999999999999", "NaN", "1e309", "null", "[]", "{}",
                     "completed", "no-answer", "busy", "failed", "canceled", "in-progress", "9", "#", "*",
                     "https://api.twilio.com/x", "http://127.0.0.1:1/", "<Response/>", "' OR 1=1 --",
                     "\x00", "\r\n", "é" * 1000]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)  # fmt: skip


def base_form(path: str) -> dict[str, str]:
    if "/sms/" in path:
        return sms_form(sender="+237690000042", body="au secours", account_sid=ACCOUNT)
    return call_form(caller="+237690000042", sid=new_sid("CA"), account_sid=ACCOUNT)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    path = draw(st.sampled_from(PATHS))
    form = base_form(path) if draw(st.booleans()) else {}
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=6)):
        form[key] = draw(odd_text)
    for key in draw(st.lists(st.sampled_from(list(form) or ["x"]), max_size=3)):
        form.pop(key, None)
    keys = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12)
    extra = draw(st.dictionaries(keys, odd_text, max_size=3))
    form.update(extra)
    return path, form


def post(server: Server, path: str, form: dict[str, str], body: bytes | None = None) -> httpx.Response:
    signature = sign(AUTH_TOKEN, server.public + path, form)
    return httpx.post(
        server.base + path,
        content=body if body is not None else urlencode(form).encode(),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(delivery=deliveries())
def test_signed_random_forms_never_get_a_5xx(server: Server, delivery: tuple[str, dict[str, str]]) -> None:
    """A signed form with any fields and values gets an answer below 500."""
    path, form = delivery
    response = post(server, path, form)
    assert response.status_code < 500, (path, form, response.status_code, response.text[:300])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(path=st.sampled_from(PATHS), body=st.binary(max_size=2000))
def test_malformed_bodies_never_get_a_5xx(server: Server, path: str, body: bytes) -> None:
    """Bytes that are not a form (bad percent-encoding, invalid UTF-8, NULs) get an answer below 500,
    whatever the signature says."""
    response = post(server, path, {}, body=body)
    assert response.status_code < 500, (path, body[:100], response.status_code, response.text[:300])


def test_a_body_over_the_limit_is_413(server: Server) -> None:
    form = {**base_form("/twilio/sms/incoming"), "Body": "x" * 70_000}
    assert post(server, "/twilio/sms/incoming", form).status_code == 413
