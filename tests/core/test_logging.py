"""The redaction processor: no number, message or recording URL survives into a log line."""

from __future__ import annotations

import pytest

from hotline.core.logging import REDACTED, redact_personal_data, scrub


@pytest.mark.parametrize(
    "text",
    [
        "+237690000001",
        "+237 690 00 00 01",
        "690000001",
        "6 90 00 00 01",
        "00237-690-00-00-01",
        "(+218) 91 234 5678",
        "whatsapp:+237690000001",
    ],
)
def test_phone_numbers_in_any_format_are_scrubbed(text: str) -> None:
    """Anything shaped like a phone number is replaced before a log line is written."""
    out = scrub(f"caller {text} said")
    assert REDACTED in out
    assert not any(ch.isdigit() for ch in out.replace(REDACTED, ""))


def test_recording_urls_are_scrubbed() -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC" + "1" * 32 + "/Recordings/RE" + "a" * 32
    assert scrub(f"fetch {url} now") == f"fetch {REDACTED} now"


def test_provider_sids_and_uuids_stay_readable() -> None:
    """Digits inside an identifier are not a phone number: Sids and UUIDs survive for debugging."""
    sid = "SMae5c123456789012a7ed60ab16ca0ec8"
    uuid = "0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e"
    assert scrub(f"sid {sid} case {uuid}") == f"sid {sid} case {uuid}"


def test_case_references_stay_readable() -> None:
    """Eight-digit case references are not phone numbers and stay in the logs."""
    assert scrub("case 48213307 opened") == "case 48213307 opened"


def test_personal_keys_are_redacted_whatever_their_value() -> None:
    event = {"event": "x", "body": "ma soeur", "From": "+237690000001", "nested": {"text": "hello"}, "n": 3}
    out = redact_personal_data(None, "info", event)
    assert out["body"] == REDACTED
    assert out["From"] == REDACTED
    assert out["nested"] == {"text": REDACTED}
    assert out["n"] == 3
