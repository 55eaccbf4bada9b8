"""The text dialogue: one message is a report; a short one starts a few questions."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.runtime import Runtime
from hotline.models import Case
from hotline.privacy.sealed import contact_callback_number
from hotline.sms.templates import default_templates
from tests.fixtures.messaging import contacts, drain, reply_of, text

T = default_templates()
URGENT = "Ma petite soeur de 14 ans est enfermée ce soir à Bonabéri, Douala, ils la battent"


async def test_one_message_is_a_triaged_report_answered_with_its_reference_and_a_safety_line(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """A text with content becomes a case at once; the reply names the reference in the sender's language."""
    reply = reply_of(await text(client, URGENT))
    [stored] = await contacts(runtime, session)
    assert reply == T.render("received", "fr", reference=stored.row.reference)
    assert "lieu sur" in reply
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.reference == stored.row.reference
    assert case.severity == "critical"


async def test_the_reply_is_in_english_or_pidgin_when_the_text_is(client: httpx.AsyncClient) -> None:
    english = reply_of(await text(client, "My sister is locked in a house in Buea and they beat her"))
    pidgin = reply_of(
        await text(
            client, "my pikin dey suffer for dat house, dem di beat am every day", sender="+237690000002"
        )
    )
    assert english is not None and english.startswith("Thank you, message received.")
    assert pidgin is not None and pidgin.startswith("Tenki")


async def test_a_short_first_message_starts_the_questions_and_every_answer_is_stored_as_it_arrives(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """allo → what happened → where → danger now → child → call back → share with a partner → reference;
    each answer on the contact."""
    assert reply_of(await text(client, "allo")) == T.render("ask_what", "fr")
    [opened] = await contacts(runtime, session)
    reference = opened.row.reference

    assert reply_of(await text(client, "Mon patron garde mon passeport")) == T.render("ask_where", "fr")
    [after_what] = await contacts(runtime, session)
    assert after_what.body is not None and "garde mon passeport" in after_what.body

    assert reply_of(await text(client, "Bonabéri")) == T.render("ask_danger", "fr")
    assert reply_of(await text(client, "1")) == T.render("ask_child", "fr")
    [midway] = await contacts(runtime, session)
    assert midway.answers["danger_now"] is True, "an answer is stored before the next question"
    assert midway.answers["region"] == "Littoral"

    assert reply_of(await text(client, "Non")) == T.render("ask_callback", "fr")
    assert reply_of(await text(client, "oui")) == T.render("ask_share", "fr")
    done = reply_of(await text(client, "1"))
    assert done == T.render("done", "fr", reference=reference)

    [final] = await contacts(runtime, session)
    assert final.answers == {
        "language": "fr",
        "danger_now": True,
        "region": "Littoral",
        "child": "no",
        "callback": True,
        "share": True,
    }
    assert contact_callback_number(runtime.keyring, final.row) == "+237690000001"
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.reference == reference
    assert case.severity == "critical" and case.imminent_danger is True
    assert case.region == "Littoral"


async def test_zero_or_skip_passes_a_question(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await text(client, "bonjour")
    assert reply_of(await text(client, "0")) == T.render("ask_where", "fr")
    assert reply_of(await text(client, "skip")) == T.render("ask_danger", "fr")
    assert reply_of(await text(client, "0")) == T.render("ask_child", "fr")
    [stored] = await contacts(runtime, session)
    assert stored.body == "bonjour"
    assert stored.answers == {"language": "fr"}, "the language the caller is answered in, nothing else"


async def test_an_answer_that_is_not_understood_is_kept_and_the_question_asked_once_more(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Nothing a caller writes is dropped, even when it is not the expected 1 or 2."""
    for answer in ("hello", "0", "0"):
        await text(client, answer)
    again = reply_of(await text(client, "peut-être, je ne suis pas sûre"))
    assert again == T.render("not_understood", "en") + "\n" + T.render("ask_danger", "en")
    assert reply_of(await text(client, "bof")) == T.render("ask_child", "en"), "a second miss moves on"
    [stored] = await contacts(runtime, session)
    assert stored.body is not None
    assert "je ne suis pas sûre" in stored.body and "bof" in stored.body


async def test_a_provider_retry_of_an_answer_gets_the_same_reply_and_does_not_advance(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await text(client, "allo")
    first = await text(client, "On me retient dans une maison", sid="SM" + "7" * 32)
    retry = await text(client, "On me retient dans une maison", sid="SM" + "7" * 32)
    assert reply_of(first) == reply_of(retry) == T.render("ask_where", "fr")
    assert reply_of(await text(client, "Garoua")) == T.render("ask_danger", "fr")
    [stored] = await contacts(runtime, session)
    assert stored.body == "allo\nOn me retient dans une maison\nGaroua"


async def test_help_explains_the_line_and_starts_the_dialogue(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    assert reply_of(await text(client, "AIDE")) == T.render("help", "fr")
    assert reply_of(await text(client, "Je suis bloquée à Agadez")) == T.render("ask_where", "fr")
    midway = reply_of(await text(client, "Help"))
    assert midway == T.render("help", "fr") + "\n" + T.render("ask_where", "fr")
    assert len(await contacts(runtime, session)) == 1


async def test_a_whatsapp_voice_note_is_kept_as_a_reference_never_downloaded(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession, fake_twilio: object
) -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME" + "a" * 32
    response = await text(
        client,
        "",
        sender="whatsapp:+237690000009",
        extra={"NumMedia": "1", "MediaUrl0": url, "MediaContentType0": "audio/ogg"},
    )
    [stored] = await contacts(runtime, session)
    assert stored.row.channel == "whatsapp"
    assert stored.answers["media"] == [{"url": url, "content_type": "audio/ogg"}]
    assert reply_of(response) == T.render("received", "fr", reference=stored.row.reference)


async def test_media_sent_during_a_dialogue_joins_the_dialogue_contact(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    await text(client, "hi", sender="whatsapp:+237690000009")
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM2/Media/ME" + "b" * 32
    await text(
        client,
        "photo of the place",
        sender="whatsapp:+237690000009",
        sid="SM" + "9" * 32,
        extra={"NumMedia": "1", "MediaUrl0": url, "MediaContentType0": "image/jpeg"},
    )
    [stored] = await contacts(runtime, session)
    assert stored.answers["media.SM" + "9" * 32] == [{"url": url, "content_type": "image/jpeg"}]
    assert stored.body == "hi\nphoto of the place"


async def _walk_to_the_share_question(client: httpx.AsyncClient, sender: str) -> None:
    await text(client, "allo", sender=sender)
    for skipped in ("0", "0", "0", "0"):  # what, where, danger, child
        await text(client, skipped, sender=sender)
    assert reply_of(await text(client, "2", sender=sender)) == T.render("ask_share", "fr")


async def test_consent_to_share_with_a_partner_is_stored_as_given_and_no_answer_is_no_consent(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """After the callback question: yes stores share = true, no stores false; 0 or two answers that are
    not understood store nothing (no consent), and every way ends with the reference."""
    answers = {
        "+237690000011": ["oui"],
        "+237690000012": ["non"],
        "+237690000013": ["0"],
        "+237690000014": ["peut-etre", "je sais pas"],
    }
    for sender, replies in answers.items():
        await _walk_to_the_share_question(client, sender)
        for said in replies[:-1]:
            again = reply_of(await text(client, said, sender=sender))
            assert again == T.render("not_understood", "fr") + "\n" + T.render("ask_share", "fr")
        done = reply_of(await text(client, replies[-1], sender=sender))
        assert done is not None and done.startswith("Merci. Votre numero de dossier")
    stored = await contacts(runtime, session)
    assert [c.answers.get("share") for c in stored] == [True, False, None, None]
    assert all(c.answers["callback"] is False for c in stored)
    assert "share" not in stored[2].answers and "share" not in stored[3].answers
    assert stored[3].body is not None and "peut-etre" in stored[3].body, "words not understood are kept"


async def test_answers_after_the_case_opened_reach_the_case(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: the case opens at the first message and every later answer re-assesses it on everything said
    so far: "child: yes" after "danger: yes" makes the case a minor's, the town sets the region."""
    for said in ("allo", "0"):
        await text(client, said)
        await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.region is None and case.minor is False
    for said in ("Bonaberi", "1", "1", "2", "2"):  # where, danger, child, callback, share
        await text(client, said)
        await drain(runtime)  # the worker runs between every answer, as in production
    session.expire_all()
    case = (await session.execute(select(Case))).scalar_one()
    assert case.region == "Littoral"
    assert case.minor is True, "child: yes, answered after the case opened"
    assert case.severity == "critical" and case.imminent_danger is True
    assert case.category != "non_actionable", "danger now: urgent, never non actionable"
    assert case.language == "fr"


async def test_a_milder_later_answer_never_lowers_the_case_and_an_agents_correction_stays(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: severity never drops on its own, and a category an agent set wins over the machine's."""
    await text(client, "allo")
    await text(client, "Mon patron garde mon passeport et me bat")
    await text(client, "1")  # where: "1" is kept as text (not a town)
    await text(client, "1")  # danger now: yes
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"
    case.category = "risky_recruitment"
    case.override = {
        "category": "risky_recruitment",
        "severity": "critical",
        "machine": {"category": "trafficking", "severity": "critical"},
    }
    await session.flush()
    await text(client, "2")  # child: no
    await drain(runtime)
    session.expire_all()
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"
    assert case.category == "risky_recruitment", "the agent's correction wins"
    assert case.minor is False


async def test_a_late_retry_of_an_earlier_message_is_never_taken_as_the_current_answer(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: a MessageSid the dialogue already answered gets its first reply again and changes nothing,
    even when Twilio redelivers it after later messages; consent comes only from the consent question."""
    sids = {said: f"SM{n:032d}" for n, said in enumerate(("allo", "what", "where", "danger", "child"))}
    bodies = {"allo": "allo", "what": "On me retient", "where": "Kumba", "danger": "1", "child": "2"}
    first_replies = {name: reply_of(await text(client, bodies[name], sid=sids[name])) for name in bodies}
    assert first_replies["child"] == T.render("ask_callback", "fr")
    # Now at the callback question, Twilio redelivers "1" (danger: yes) and the opening "allo".
    assert reply_of(await text(client, "1", sid=sids["danger"])) == first_replies["danger"]
    assert reply_of(await text(client, "allo", sid=sids["allo"])) == first_replies["allo"]
    [midway] = await contacts(runtime, session)
    assert "callback" not in midway.answers, "a retried '1' is not consent to a callback"
    assert contact_callback_number(runtime.keyring, midway.row) is None
    assert reply_of(await text(client, "2")) == T.render("ask_share", "fr"), "still at the callback question"
    assert reply_of(await text(client, "what", sid=sids["what"])) == first_replies["what"]
    done = reply_of(await text(client, "2"))
    assert done == T.render("done", "fr", reference=midway.row.reference)
    [final] = await contacts(runtime, session)
    assert final.answers == {
        "language": "fr",
        "region": "Sud-Ouest",
        "danger_now": True,
        "child": "no",
        "callback": False,
        "share": False,
    }
    assert final.body == "allo\nOn me retient\nKumba"
    await drain(runtime)
    assert len((await session.execute(select(Case))).scalars().all()) == 1
