"""Issue 20, point 5: metrics labels are closed sets, whatever a client sends.

Unsigned and forged webhooks labelled metrics with the raw request path (7,000 requests grew
/metrics to 11.7 MB and 14,028 series). Labels are route templates and known outcomes only.
"""

from __future__ import annotations

import re

import httpx

from hotline.simulate import call_form
from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.fixtures.twilio import ACCOUNT_SID, post_signed

SERIES = re.compile(r'^hotline_webhooks_total\{outcome="([^"]*)",route="([^"]*)"\}', re.MULTILINE)


async def test_invented_paths_and_statuses_add_no_series(client: httpx.AsyncClient) -> None:
    """200 forged or unsigned requests to invented IVR steps and 50 signed call statuses with
    invented values leave a handful of series, each a route template and a known outcome."""
    form = call_form(caller="+237690000001", account_sid=ACCOUNT_SID)
    for n in range(100):
        await client.post(f"/twilio/voice/menu/step-{n}", data=form)
        await client.post(
            f"/twilio/voice/dialed/x{n}", data=form, headers={"X-Twilio-Signature": "forged" + str(n)}
        )
    for n in range(50):
        await post_signed(
            client,
            "/twilio/voice/status",
            {**form, "CallStatus": f"weird{'x' * (n % 20)}"},
            auth_token=AUTH_TOKEN,
            public_base_url=PUBLIC_BASE_URL,
        )
    series = set(SERIES.findall((await client.get("/metrics")).text))
    assert len(series) <= 4, sorted(series)
    assert {route for _, route in series} <= {
        "/twilio/voice/menu/{step}",
        "/twilio/voice/dialed/{step}",
        "voice.status",
    }
    assert {outcome for outcome, _ in series} <= {"unsigned", "forged", "other"}
