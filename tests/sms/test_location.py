"""WhatsApp location pins are part of the report: sealed, shown to the agent, and placed in a region."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.console.timeline import build, shown_location
from hotline.core.runtime import Runtime
from hotline.models import AuditEntry, Case, Contact
from hotline.sms.templates import default_templates
from tests.fixtures.messaging import contacts, drain, reply_of, text

T = default_templates()
SENDER = "whatsapp:+237690000031"
LATITUDE, LONGITUDE = "4.0873417", "9.6826151"


def pin(*, address: str = "Rue 1.234, Bonaberi, Douala, Cameroun", label: str = "") -> dict[str, str]:
    """The fields Twilio adds to a WhatsApp location message (its Body is empty)."""
    form = {"MessageType": "location", "Latitude": LATITUDE, "Longitude": LONGITUDE, "Address": address}
    if label:
        form["Label"] = label
    return form


async def test_a_pin_alone_is_a_report_with_its_region_and_is_sealed(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: a location message is a report (never an empty greeting): the pin is kept sealed with the
    answers, and the region comes from its address through the gazetteer."""
    reply = reply_of(await text(client, "", sender=SENDER, extra=pin()))
    [stored] = await contacts(runtime, session)
    assert reply == T.render("received", "fr", reference=stored.row.reference)
    assert stored.answers["location"] == {
        "latitude": float(LATITUDE),
        "longitude": float(LONGITUDE),
        "address": "Rue 1.234, Bonaberi, Douala, Cameroun",
    }
    assert stored.answers["region"] == "Littoral"
    raw = (await session.execute(select(Contact.answers_enc, Contact.body_enc))).one()
    assert all(LATITUDE not in str(v) and "Bonaberi" not in str(v) for v in raw), "sealed like the text"
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.region == "Littoral"
    details = (await session.execute(select(AuditEntry.details))).scalars().all()
    assert details and not any(LATITUDE in str(d) or "Bonaberi" in str(d) for d in details), (
        "not in the chain"
    )
    page = await build(session, runtime.keyring, case)
    [shown] = [e.answers["location"] for e in page.entries if e.kind == "contact"]
    assert f"mlat={float(LATITUDE):.6f}" in shown and "Bonaberi" in shown, "coordinates, map link, address"


async def test_a_pin_answers_where_in_the_dialogue_and_is_kept_at_any_other_question(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await text(client, "allo", sender=SENDER)
    assert reply_of(await text(client, "", sender=SENDER, extra=pin())) == T.render("ask_what", "fr"), (
        "a pin does not say what happened: kept, and the question asked again"
    )
    assert reply_of(await text(client, "On me retient", sender=SENDER)) == T.render("ask_where", "fr")
    pinned = pin(address="Kumba, Cameroon", label="Kumba market")
    assert reply_of(await text(client, "", sender=SENDER, extra=pinned)) == T.render("ask_danger", "fr")
    [stored] = await contacts(runtime, session)
    assert stored.answers["region"] == "Sud-Ouest", "the newer pin's region"
    pins = [v for k, v in stored.answers.items() if k.startswith("location.")]
    assert len(pins) == 2 and {p["address"] for p in pins} == {
        "Rue 1.234, Bonaberi, Douala, Cameroun",
        "Kumba, Cameroon",
    }
    assert stored.body == "allo\nOn me retient"


async def test_a_pin_in_an_unknown_place_or_with_broken_coordinates() -> None:
    assert "mlat=" not in shown_location({"latitude": "north", "longitude": 1})
    shown = shown_location({"latitude": 3.8667, "longitude": 11.5167, "label": "<b>Chez moi</b>"})
    assert "&lt;b&gt;" in shown, "the label is escaped"
