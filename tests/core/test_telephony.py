"""Outbound SMS and calls go through the real twilio SDK to a fake Twilio on loopback."""

from __future__ import annotations

import pytest

from hotline.core.telephony import InMemoryTelephony, TelephonyError, TwilioTelephony
from tests.fixtures.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

FROM = "+237222000000"


def telephony(fake: FakeTwilio, token: str = AUTH_TOKEN) -> TwilioTelephony:
    return TwilioTelephony(account_sid=ACCOUNT_SID, auth_token=token, api_url=fake.url, from_number=FROM)


async def test_an_sms_reaches_twilio_with_the_sender_number_and_a_status_callback(
    fake_twilio: FakeTwilio,
) -> None:
    client = telephony(fake_twilio)
    sent = await client.send_sms(
        "+237690000001", "Réf 12345678", status_callback="https://h.example/twilio/sms/status"
    )
    await client.close()
    assert sent.sid.startswith("SM")
    assert sent.status == "queued"
    [message] = fake_twilio.messages
    assert message["To"] == "+237690000001"
    assert message["From"] == FROM
    assert message["Body"] == "Réf 12345678"
    assert message["StatusCallback"] == "https://h.example/twilio/sms/status"


async def test_whatsapp_recipients_are_sent_from_the_whatsapp_sender(fake_twilio: FakeTwilio) -> None:
    client = telephony(fake_twilio)
    await client.send_sms("whatsapp:+237690000001", "hello")
    await client.close()
    assert fake_twilio.messages[0]["From"] == f"whatsapp:{FROM}"


async def test_a_call_asks_twilio_to_fetch_our_twiml(fake_twilio: FakeTwilio) -> None:
    client = telephony(fake_twilio)
    placed = await client.call(
        "+237690000002", twiml_url="https://h.example/twilio/notify/call?n=abc", timeout_seconds=25
    )
    await client.close()
    assert placed.sid.startswith("CA")
    assert fake_twilio.calls[0]["Url"] == "https://h.example/twilio/notify/call?n=abc"
    assert fake_twilio.calls[0]["Timeout"] == "25"


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True), (400, False)])
async def test_failures_say_whether_to_retry(fake_twilio: FakeTwilio, status: int, retryable: bool) -> None:
    fake_twilio.fail_next(1, status)
    client = telephony(fake_twilio)
    with pytest.raises(TelephonyError) as caught:
        await client.send_sms("+237690000001", "x")
    await client.close()
    assert caught.value.retryable is retryable


async def test_wrong_credentials_are_not_retryable(fake_twilio: FakeTwilio) -> None:
    client = telephony(fake_twilio, token="wrong-token-wrong-token-wrong-tok")
    with pytest.raises(TelephonyError) as caught:
        await client.send_sms("+237690000001", "x")
    await client.close()
    assert caught.value.retryable is False


async def test_an_unreachable_api_is_a_retryable_failure() -> None:
    client = TwilioTelephony(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, api_url="http://127.0.0.1:1", from_number=FROM
    )
    with pytest.raises(TelephonyError) as caught:
        await client.send_sms("+237690000001", "x")
    await client.close()
    assert caught.value.retryable is True


async def test_deleting_a_recording_twice_is_fine(fake_twilio: FakeTwilio) -> None:
    client = telephony(fake_twilio)
    await client.delete_recording("RE" + "a" * 32)
    await client.delete_recording("RE" + "a" * 32)
    await client.close()
    assert fake_twilio.deleted_recordings == ["RE" + "a" * 32]


async def test_the_in_memory_telephony_keeps_everything_and_sends_nothing() -> None:
    memory = InMemoryTelephony()
    sent = await memory.send_sms("+237690000001", "hello")
    await memory.call("+237690000002", twiml_url="https://h/x")
    assert sent.sid.startswith("SM")
    assert memory.messages == [("+237690000001", "hello")]
    assert memory.calls == [("+237690000002", "https://h/x")]


def test_the_runtime_sends_for_real_only_with_real_credentials_outside_training(tmp_path: object) -> None:
    """No real phone rings in development with placeholder secrets, nor ever in a training room."""
    from hotline.core.config import Settings
    from hotline.core.runtime import build_telephony

    assert isinstance(build_telephony(Settings()), InMemoryTelephony)
    real = Settings(twilio_auth_token=AUTH_TOKEN, twilio_account_sid=ACCOUNT_SID)
    assert isinstance(build_telephony(real), TwilioTelephony)
    assert isinstance(build_telephony(real.model_copy(update={"training": True})), InMemoryTelephony)
