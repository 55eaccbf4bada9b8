"""Every path through the 1503 menu, walked by a phone that follows the TwiML like Twilio."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.core.config import is_e164
from hotline.core.runtime import Runtime
from hotline.intake.worker import Worker
from hotline.ivr.phone import HungUp, Message, TwimlPhone
from hotline.models import Case, Contact
from hotline.privacy.sealed import contact_answers
from tests.ivr.callers import Scripted


async def drain(runtime: Runtime) -> None:
    worker = Worker(runtime, block_seconds=0.05)
    while await worker.run_once():
        pass


async def test_a_full_report_in_french_becomes_one_case_triaged_on_every_answer(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    caller = Scripted.pressing(["1", "1", "1", "5", "2", "1"], message=40)
    call = await phone.call(caller)
    await drain(runtime)

    contact = (await session.execute(select(Contact))).scalar_one()
    answers = contact_answers(runtime.keyring, contact)
    assert answers["menu"] == "trafficking"
    assert answers["child"] == "yes"
    assert answers["region"] == "Littoral"
    assert answers["callback"] is False
    assert answers["share"] is True
    assert answers["language"] == "fr"
    assert answers["recording_sid"].startswith("RE")
    case = (await session.execute(select(Case))).scalar_one()
    assert case.reference == contact.reference
    assert case.category == "trafficking"
    assert case.minor is True
    assert case.region == "Littoral"
    assert any("answer: child = yes" in r for r in case.reasons)
    assert call.said.count(", ".join(contact.reference)) == 2
    assert call.ended_by == "hangup"


async def test_english_and_the_second_page_of_regions(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    caller = Scripted.pressing(["2", "2", "2", "0", "4", "2", "2"], message=20)
    call = await phone.call(caller)
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.region == "Sud-Ouest"
    assert case.category == "migrant_distress"
    after_choice = call.heard[3:]
    assert after_choice and {h.language for h in after_choice} == {"en-GB"}
    assert "Which region?" in call.said and "North West: 1" in call.said


async def test_pidgin_is_said_in_english_until_its_recordings_exist_then_played(
    phone: TwimlPhone, runtime: Runtime
) -> None:
    call = await phone.call(Scripted.pressing(["3", "H"]))
    topic = call.heard[-1]
    assert topic.language == "en-GB" and topic.text.startswith("If someone is in danger right now")

    flow = runtime.ivr_flow
    prompts = dict(flow.prompts)
    prompts["topic"] = {
        **prompts["topic"],
        "pcm": prompts["topic"]["pcm"].model_copy(update={"audio": "pcm/topic.mp3"}),
    }
    runtime.ivr_flow = flow.model_copy(update={"prompts": prompts})
    runtime.settings = runtime.settings.model_copy(
        update={"ivr_audio_base_url": "https://audio.example.org/1503/"}
    )
    call = await phone.call(Scripted.pressing(["3", "H"]))
    assert call.heard[-1].audio_url == "https://audio.example.org/1503/pcm/topic.mp3"


async def test_nine_from_any_menu_opens_a_critical_case_at_once_and_rings_the_person_on_call(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Pressing 9 creates a critical contact before the agent's phone even rings."""
    caller = Scripted.pressing(["1", "1", "9"], message=15, agent=False)
    seen_before_dial: list[str | None] = []

    original = caller.agent_answers

    def agent_answers() -> bool:
        seen_before_dial.append("dial")
        return original()

    caller.agent_answers = agent_answers  # type: ignore[method-assign]
    call = await phone.call(caller)
    assert call.dialled and seen_before_dial
    dial = next(e.twiml for e in call.exchanges if "<Dial" in e.twiml)
    assert "+237699000111" in dial
    assert f'callerId="{runtime.settings.twilio_from_number}"' in dial, "the configured number, not the To"
    assert is_e164(runtime.settings.twilio_from_number)
    assert "+237690000001" not in dial, "the agent must never see the caller's number"
    assert "Personne n'a pu répondre" in call.said
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical" and case.imminent_danger
    contact = (await session.execute(select(Contact))).scalar_one()
    answers = contact_answers(runtime.keyring, contact)
    assert answers["danger_now"] is True and answers["dial"] == "unanswered"
    assert "recording_sid" in answers


async def test_the_emergency_case_exists_while_the_call_is_still_ringing_the_agent(
    client: httpx.AsyncClient, runtime: Runtime, session: AsyncSession
) -> None:
    from tests.fixtures.env import AUTH_TOKEN, PUBLIC_BASE_URL
    from tests.fixtures.twilio import ACCOUNT_SID, call_form, post_signed

    form = call_form(caller="+237690000002", account_sid=ACCOUNT_SID)
    await post_signed(
        client, "/twilio/voice/incoming", form, auth_token=AUTH_TOKEN, public_base_url=PUBLIC_BASE_URL
    )
    response = await post_signed(
        client,
        "/twilio/voice/menu/language?try=1",
        {**form, "Digits": "9"},
        auth_token=AUTH_TOKEN,
        public_base_url=PUBLIC_BASE_URL,
    )
    assert "<Dial" in response.text
    # Before the language was chosen, "connecting you" is said in French and in English.
    assert 'language="fr-FR"' in response.text and 'language="en-GB"' in response.text
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"


async def test_zero_asks_for_a_person_and_a_call_they_answer_ends_with_the_reference(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    call = await phone.call(Scripted.pressing(["2", "0"], agent=True))
    assert call.dialled and not call.recorded
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"
    assert call.said.count(", ".join(case.reference)) == 2
    contact = (await session.execute(select(Contact))).scalar_one()
    answers = contact_answers(runtime.keyring, contact)
    assert answers["asked_for_person"] is True and answers["dial"] == "answered"


async def test_with_no_one_to_ring_the_caller_leaves_an_urgent_message_at_once(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    runtime.settings = runtime.settings.model_copy(update={"emergency_number": None})
    call = await phone.call(Scripted.pressing(["1", "9"], message=10))
    assert not call.dialled and call.recorded
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"


async def test_silence_and_wrong_keys_re_prompt_twice_then_move_on_with_dont_know(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """No input or a wrong key re-prompts twice, then the menu moves on as "don't know"."""
    # fr, trafficking, then at "child": wrong key, silence, wrong key → region menu.
    call = await phone.call(Scripted.pressing(["1", "1", "7", "", "#", "H"]))
    assert call.said.count("Je n'ai pas compris.") == 2
    assert call.heard[-1].text.startswith("Dans quelle région ?")
    await drain(runtime)
    contact = (await session.execute(select(Contact))).scalar_one()
    answers = contact_answers(runtime.keyring, contact)
    assert "child" not in answers
    case = (await session.execute(select(Case))).scalar_one()
    assert case.category == "trafficking"


# language fr, trafficking, child yes, Littoral, no callback: the caller is at the consent question.
TO_SHARE = ["1", "1", "1", "5", "2"]


async def _answers_after(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession, keys: list[str]
) -> dict[str, object]:
    call = await phone.call(Scripted.pressing(keys, message=20))
    assert call.recorded, "the message step follows the consent question"
    await drain(runtime)
    contact = (await session.execute(select(Contact).where(Contact.provider_id == call.sid))).scalar_one()
    return contact_answers(runtime.keyring, contact)


async def test_one_at_the_share_question_records_consent_to_refer(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """Pressing 1 at "may we pass your report to an organisation" stores share = true on the contact."""
    answers = await _answers_after(phone, runtime, session, [*TO_SHARE, "1"])
    assert answers["share"] is True
    assert answers["callback"] is False, "consent to refer is not consent to a callback"


async def test_two_at_the_share_question_records_a_refusal(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """Pressing 2 stores share = false."""
    answers = await _answers_after(phone, runtime, session, [*TO_SHARE, "2"])
    assert answers["share"] is False


async def test_silence_or_wrong_keys_at_the_share_question_record_no_consent(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """No answer is no consent: after the re-prompts the call goes on to the message with no `share` stored."""
    answers = await _answers_after(phone, runtime, session, [*TO_SHARE, "", "7", ""])
    assert "share" not in answers
    assert answers["callback"] is False and answers["region"] == "Littoral"


async def test_nine_and_star_work_at_the_share_question_too(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    call = await phone.call(Scripted.pressing([*TO_SHARE, "*", "9"], message=10))
    share_prompts = [h for h in call.heard if "transmettre votre signalement" in h.text]
    assert len(share_prompts) == 2, "* says the question again"
    assert call.dialled
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.severity == "critical"
    contact = (await session.execute(select(Contact))).scalar_one()
    assert "share" not in contact_answers(runtime.keyring, contact)


async def test_a_caller_who_hangs_up_at_or_right_after_the_share_question_leaves_every_answer(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """Answers are stored per step: hanging up at the consent question keeps everything before it, and
    a consent given just before hanging up at the message prompt is kept too."""

    class HangsUpAtTheBeep(Scripted):
        def speak(self, max_seconds: int) -> Message:
            raise HungUp

    at_share = await phone.call(Scripted.pressing([*TO_SHARE, "H"]))
    after_share = await phone.call(HangsUpAtTheBeep([*TO_SHARE, "1"]))
    assert not after_share.recorded
    await drain(runtime)
    for call, share in ((at_share, None), (after_share, True)):
        contact = (await session.execute(select(Contact).where(Contact.provider_id == call.sid))).scalar_one()
        answers = contact_answers(runtime.keyring, contact)
        assert answers["callback"] is False and answers["child"] == "yes"
        assert answers.get("share") is share
        case = (await session.execute(select(Case).where(Case.id == contact.case_id))).scalar_one()
        assert case.region == "Littoral", "a partial report is a case"


async def test_star_repeats_the_menu_as_often_as_the_caller_needs(phone: TwimlPhone) -> None:
    call = await phone.call(Scripted.pressing(["1", "*", "*", "*", "*", "H"]))
    topics = [h for h in call.heard if "De quoi s'agit-il" in h.text]
    assert len(topics) == 5
    assert "Je n'ai pas compris." not in call.said


async def test_a_caller_who_hangs_up_midway_leaves_a_partial_report(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    await phone.call(Scripted.pressing(["1", "2", "3", "H"]))
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.category == "migrant_distress"
    contact = (await session.execute(select(Contact))).scalar_one()
    assert contact.case_id == case.id
    assert contact.provider_status == "completed"


async def test_a_call_that_ends_before_any_choice_is_counted_as_abandoned_but_makes_no_case(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """Calls that end before any choice are counted (for statistics) but make no case."""
    await phone.call(Scripted.pressing(["H"]))
    await phone.call(Scripted.pressing(["", "", "", "", "H"]))  # silence, silence: no choice either
    await drain(runtime)
    assert (await session.execute(select(Case))).scalars().all() == []
    contacts = (await session.execute(select(Contact))).scalars().all()
    assert len(contacts) == 2, "the calls are still on record"
    for contact in contacts:
        assert contact_answers(runtime.keyring, contact) == {"dialogue": "ended"}
        assert contact.case_id is None
    metrics = (await client.get("/metrics")).text
    assert 'hotline_webhooks_total{outcome="abandoned",route="voice.call_end"} 2.0' in metrics


async def test_a_silent_caller_who_stays_on_the_line_hears_no_reference_and_makes_no_case(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    call = await phone.call(Scripted.pressing([""] * 30))
    assert call.ended_by == "hangup"
    assert "numéro de dossier" not in call.said
    assert "Merci. Au revoir." in call.said
    await drain(runtime)
    assert (await session.execute(select(Case))).scalars().all() == []


async def test_a_silent_caller_who_leaves_a_message_has_a_case(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    call = await phone.call(Scripted.pressing([""] * 21, message=30))
    assert call.recorded
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert call.said.count(", ".join(case.reference)) == 2


async def test_the_on_call_directory_is_asked_for_the_region_the_caller_gave(
    phone: TwimlPhone, runtime: Runtime
) -> None:
    """Routing plugs its directory into the Runtime; the IVR asks it for the caller's region."""
    asked: list[str | None] = []

    class Directory:
        async def number_for(self, region: str | None) -> str | None:
            asked.append(region)
            return "+237655000333" if region == "Littoral" else None

    runtime.on_call = Directory()
    call = await phone.call(Scripted.pressing(["1", "1", "2", "5", "9"], agent=True))
    assert asked == ["Littoral"]
    assert any("+237655000333" in e.twiml for e in call.exchanges)
    call = await phone.call(Scripted.pressing(["1", "9"], message=5))
    assert asked == ["Littoral", None]
    assert call.recorded and not call.dialled, "nobody to ring: straight to the urgent message"


async def test_answers_in_between_are_stored_without_a_pipeline_job_each(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """Each key is on the contact at once, but the pipeline runs for the arrival, danger and the end only."""
    from sqlalchemy import func

    from hotline.models import OutboxEntry

    await phone.call(Scripted.pressing(["1", "1", "1", "5", "2", "2"], message=40))
    entries = await session.scalar(select(func.count()).select_from(OutboxEntry))
    assert entries == 2, "the arrival, then the message with the end of the dialogue"
    await phone.call(Scripted.pressing(["1", "9"], message=10))
    total = await session.scalar(select(func.count()).select_from(OutboxEntry))
    assert total - entries == 4, "arrival, danger (at once), the unanswered dial, the message"


async def test_the_language_pressed_in_the_first_menu_is_the_case_language(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: 2 (English) or 3 (Pidgin) in the language menu sets the case's language, whatever triage guesses."""
    await phone.call(Scripted.pressing(["3", "2", "2", "2", "0", "4", "2", "2"], message=20))
    await drain(runtime)
    case = (await session.execute(select(Case))).scalar_one()
    assert case.language == "pcm"


async def test_an_emergency_before_any_topic_is_urgent_with_its_category_unknown(
    phone: TwimlPhone, runtime: Runtime, session: AsyncSession
) -> None:
    """Rule: 9 or 0 before a topic is a critical case of unknown category (null), never "non actionable";
    the language the caller chose is kept through the message that follows."""
    await phone.call(Scripted.pressing(["2", "0"], message=15, agent=False))
    await phone.call(Scripted.pressing(["1", "9"], message=15, agent=False), number="+237690000002")
    await drain(runtime)
    cases = {c.language: c for c in (await session.execute(select(Case))).scalars()}
    assert set(cases) == {"en", "fr"}
    for case in cases.values():
        assert case.severity == "critical" and case.imminent_danger is True
        assert case.category is None
