"""What to do with one incoming text: a keyword, an answer in a dialogue, or a report.

Order of precedence, for every message:

1. a provider retry of a message this dialogue already answered gets the same reply;
2. a keyword (HELP/AIDE, STATUS/STATUT REF, STOP/ARRET, START) is answered;
3. inside a dialogue, the text answers the current question and is added to the dialogue's
   contact at once;
4. anything else is a report: stored as a contact before any reply. A short opening
   ("allo", "bonjour", "1503") starts the dialogue; a text with content gets the reference
   (its case's, when it follows up an open case of the same caller) and a safety line.

A caller who sent STOP gets no automatic reply to reports or answers (keywords are still
answered: they asked); their reports are still stored and triaged.

Nothing here does slow work: each step is one short transaction (or a spool append) and a
session-store read/write. Errors of the session store or of a lookup degrade the reply,
never the storing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from hotline.cases.service import (
    SAME_STORY_WINDOW,
    open_case_lookup_params,
    open_case_of_caller,
    open_case_reference_lookup,
    pending_contact_reference,
    pending_contact_reference_lookup,
)
from hotline.core.db import unit_of_work
from hotline.core.logging import get_logger
from hotline.core.runtime import Runtime
from hotline.intake.gateway import accept, amend_contact
from hotline.intake.service import IncomingContact, Lookups
from hotline.sms import repository
from hotline.sms.dialogue import DONE, QUESTION, WHAT, WHERE, Dialogue, Step, answer, region_of_place
from hotline.sms.keywords import Command, Keyword, default_vocabulary
from hotline.sms.language import guess
from hotline.sms.templates import Language, default_templates

log = get_logger(__name__)

#: Asked with every new report's insert: has the caller sent STOP, and which open case of
#: theirs does this text follow up (the reply names it).
CALLER_CONTEXT = Lookups(
    (
        repository.opted_out_lookup("opted_out"),
        open_case_reference_lookup("follow_up"),
        pending_contact_reference_lookup("same_story"),
    )
)


def caller_context_params(incoming: IncomingContact) -> dict[str, Any]:
    """The bind parameters of :data:`CALLER_CONTEXT` for this report (its own case excluded)."""
    return {
        "opted_out_caller_ref": incoming.caller_ref,
        **open_case_lookup_params(
            incoming.caller_ref,
            now=incoming.received_at,
            training=incoming.training,
            exclude_reference=incoming.reference,
        ),
        "pending_channel": incoming.channel,
        "pending_since": incoming.received_at - SAME_STORY_WINDOW,
    }


PROVIDER = "twilio"
DEFAULT_LANGUAGE: Language = "fr"


def _location_answers(location: dict[str, Any], key: str) -> dict[str, Any]:
    """A pin as answers: the pin itself under ``key``, and the region its label or address names."""
    answers: dict[str, Any] = {key: location}
    region = region_of_place(location.get("label"), location.get("address"))
    if region is not None:
        answers["region"] = region
    return answers


@dataclass(frozen=True, slots=True)
class Inbound:
    sid: str
    channel: str
    caller_ref: str
    known_caller: bool
    """False when the sender's number did not parse: such senders share one caller_ref."""
    body: str
    media: list[dict[str, str]] = field(default_factory=list)
    location: dict[str, Any] | None = None
    """A WhatsApp location pin: latitude, longitude, address and label (sealed with the answers)."""
    reply_to: str = ""
    """The sender's address, used only to seal a callback number the caller agreed to."""
    training: bool = False


@dataclass(frozen=True, slots=True)
class Reply:
    text: str | None
    outcome: str
    """A closed set, for metrics: stored, spooled, duplicate, answer, help, status, stop, start, failed."""
    outbox_ids: tuple[int, ...] = ()


class Conversation:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.vocabulary = default_vocabulary()
        self.templates = default_templates()

    async def handle(self, message: Inbound) -> Reply:
        key = f"{message.channel}:{message.caller_ref}" if message.known_caller else None
        dialogue = await self._load(key)
        if dialogue is not None and (earlier := dialogue.reply_to(message.sid)) is not None:
            # A provider retry, even one that arrives after later messages: the first reply
            # again, and nothing stored, moved or consented to.
            return Reply(earlier or None, "duplicate")
        command = None if message.media or message.location else self.vocabulary.command(message.body)
        if command is not None:
            return await self._command(message, command, key, dialogue)
        if dialogue is not None and dialogue.active:
            return await self._answer(message, key, dialogue)
        return await self._report(message, key, previous=dialogue)

    # -- reports ------------------------------------------------------------------------

    async def _report(
        self,
        message: Inbound,
        key: str | None,
        *,
        asked_help: Command | None = None,
        previous: Dialogue | None = None,
    ) -> Reply:
        answers: dict[str, Any] = {"media": message.media} if message.media else {}
        if message.location is not None:
            answers.update(_location_answers(message.location, "location"))
        if (chosen := self._chosen_language(message.body, asked_help)) is not None:
            # The language the caller is answered in is the case's: the agent calls back in it.
            answers["language"] = chosen
        incoming = IncomingContact(
            provider=PROVIDER,
            provider_id=message.sid,
            channel=message.channel,
            caller_ref=message.caller_ref,
            body=message.body or None,
            answers=answers,
            training=message.training,
        )
        recorded = await accept(
            self.runtime,
            incoming,
            lookups=CALLER_CONTEXT,
            lookup_params=caller_context_params(incoming),
        )
        outbox = (recorded.outbox_id,) if recorded.outbox_id is not None else ()
        outcome = "spooled" if recorded.spooled else ("stored" if recorded.created else "duplicate")
        if recorded.found:
            # Asked with the insert: one round trip for a new report, the common case.
            opted_out = bool(recorded.found["opted_out"])
            follow_up = (
                None
                if opted_out or not message.known_caller
                else recorded.found["follow_up"] or recorded.found["same_story"]
            )
        else:
            opted_out, follow_up = await self._caller_context(
                message, recorded.reference, find_case=not recorded.spooled
            )
        if opted_out:
            return Reply(None, outcome, outbox)
        language = self._language(message.body, asked_help)
        reference = follow_up or recorded.reference
        opening = asked_help is not None or (
            not message.media and message.location is None and self.vocabulary.is_opening(message.body)
        )
        if opening and key is not None:
            text = self.templates.render("help" if asked_help else "ask_what", language)
            # A new dialogue remembers the ids the last one answered: their late retries stay retries.
            started = Dialogue(
                contact_sid=message.sid,
                reference=reference,
                language=language,
                replies=dict(previous.replies) if previous is not None else {},
            )
            await self._save(key, started.replied(message.sid, text))
            return Reply(text, outcome, outbox)
        template = "follow_up" if follow_up else "received"
        text = self.templates.render(template, language, reference=reference)
        if previous is not None and key is not None:
            await self._save(key, previous.replied(message.sid, text))
        return Reply(text, outcome, outbox)

    # -- the dialogue ---------------------------------------------------------------------

    async def _answer(self, message: Inbound, key: str | None, dialogue: Dialogue) -> Reply:
        if message.location is not None and not message.body.strip():
            # A pin answers "where"; sent at another question it is kept and that question asked again.
            step = (
                answer(dialogue, "0", self.vocabulary) if dialogue.step == WHERE else Step(dialogue, {}, None)
            )
        else:
            step = answer(dialogue, message.body, self.vocabulary)
        answers = dict(step.answers)
        if message.media:
            answers[f"media.{message.sid}"] = message.media
        if message.location is not None:
            answers.update(_location_answers(message.location, f"location.{message.sid}"))
        consent = step.answers.get("callback") is True
        amended = await amend_contact(
            self.runtime,
            provider=PROVIDER,
            provider_id=dialogue.contact_sid,
            answers=answers,
            text=step.text,
            callback_number=message.reply_to if consent else None,
        )
        if amended.reference is None:
            # The dialogue's contact is gone (or never reached the database): keep this text as a report.
            await self._forget(key)
            return await self._report(message, key)
        outbox = (amended.outbox_id,) if amended.outbox_id is not None else ()
        if await self._opted_out(message.caller_ref):
            await self._forget(key)
            return Reply(None, "answer", outbox)
        language = dialogue.language
        moved = step.dialogue
        if step.reprompt:
            text = self._join("not_understood", QUESTION[moved.step], language)
        elif moved.step == DONE:
            text = self.templates.render("done", language, reference=dialogue.reference)
        else:
            text = self.templates.render(QUESTION[moved.step], language)
        if key is not None:
            await self._save(key, moved.replied(message.sid, text))
        return Reply(text, "answer", outbox)

    # -- keywords ---------------------------------------------------------------------------

    async def _command(
        self, message: Inbound, command: Command, key: str | None, dialogue: Dialogue | None
    ) -> Reply:
        language = dialogue.language if dialogue else (command.language or DEFAULT_LANGUAGE)
        if command.keyword is Keyword.help:
            if dialogue is None or not dialogue.active:
                return await self._report(message, key, asked_help=command, previous=dialogue)
            text = (
                self.templates.render("help", language)
                if dialogue.step == WHAT
                else self._join("help", QUESTION[dialogue.step], language)
            )
            if key is not None:
                await self._save(key, dialogue.replied(message.sid, text))
            return Reply(text, "help")
        if command.keyword is Keyword.status:
            return Reply(await self._status(message, command, language), "status")
        try:
            async with unit_of_work(self.runtime.sessions) as session:
                if command.keyword is Keyword.stop:
                    await repository.opt_out(
                        session, message.caller_ref, message.channel, self.runtime.clock()
                    )
                else:
                    await repository.opt_in(session, message.caller_ref)
        except Exception as exc:
            # No confirmation we could not keep: the caller can send it again.
            log.error("sms.keyword_not_saved", keyword=command.keyword.value, reason=type(exc).__name__)
            return Reply(None, "failed")
        stop = command.keyword is Keyword.stop
        text = self.templates.render("stopped" if stop else "started", language)
        if key is not None:
            # STOP ends the dialogue, but its id (and START's) stays known: a late retry of a STOP
            # sent before a START must not opt the caller out again.
            ended = dialogue or Dialogue(contact_sid="", reference="", language=language)
            await self._save(key, replace(ended, step=DONE).replied(message.sid, text))
        return Reply(text, "stop" if stop else "start")

    async def _status(self, message: Inbound, command: Command, language: Language) -> str:
        if command.reference is None:
            return self.templates.render("status_unknown" if command.argument else "status_usage", language)
        try:
            async with self.runtime.sessions() as session:
                status = await repository.status_for_caller(session, message.caller_ref, command.reference)
        except Exception as exc:
            log.warning("sms.status_lookup_failed", reason=type(exc).__name__)
            status = "new" if command.reference == (await self._dialogue_reference(message)) else None
        if status is None or not message.known_caller:
            return self.templates.render("status_unknown", language)
        name = f"status_{status}"
        if name not in self.templates.names:
            name = "status_in_progress"
        return self.templates.render(name, language, reference=command.reference)

    # -- helpers ----------------------------------------------------------------------------

    def _join(self, first: str, second: str, language: Language) -> str:
        return self.templates.render(first, language) + "\n" + self.templates.render(second, language)

    def _language(self, body: str, command: Command | None) -> Language:
        return self._chosen_language(body, command) or DEFAULT_LANGUAGE

    def _chosen_language(self, body: str, command: Command | None) -> Language | None:
        """The language the caller wrote in (the keyword's, the text's, the greeting's), if any."""
        if command is not None and command.language is not None:
            return command.language
        return guess(body) or self.vocabulary.greeting_language(body)

    async def _caller_context(
        self, message: Inbound, own_reference: str, *, find_case: bool
    ) -> tuple[bool, str | None]:
        """(opted out, the reference of the open case a follow-up joins), in one read session.
        A new report gets both with its insert (``CALLER_CONTEXT``); this is for a repeated
        delivery, whose reply must exclude its own reference, and a report the spool took."""
        try:
            async with self.runtime.sessions() as session:
                opted_out = await repository.is_opted_out(session, message.caller_ref)
                if opted_out or not find_case or not message.known_caller:
                    return opted_out, None
                now = self.runtime.clock()
                case = await open_case_of_caller(
                    session,
                    message.caller_ref,
                    now=now,
                    training=message.training,
                    exclude_reference=own_reference,
                )
                if case is not None:
                    return False, case.reference
                # A retry of the second half of a split text: told the first half's reference again.
                same_story = await pending_contact_reference(
                    session,
                    message.caller_ref,
                    channel=message.channel,
                    now=now,
                    training=message.training,
                    exclude_reference=own_reference,
                )
        except Exception as exc:
            # The database is away: the report is spooled; answer as for anyone else.
            log.warning("sms.caller_lookup_failed", reason=type(exc).__name__)
            return False, None
        return False, same_story

    async def _opted_out(self, caller_ref: str) -> bool:
        try:
            async with self.runtime.sessions() as session:
                return await repository.is_opted_out(session, caller_ref)
        except Exception as exc:
            # The database is away: the report is spooled; answer as for anyone else.
            log.warning("sms.opt_out_lookup_failed", reason=type(exc).__name__)
            return False

    async def _dialogue_reference(self, message: Inbound) -> str | None:
        key = f"{message.channel}:{message.caller_ref}"
        dialogue = await self._load(key)
        return dialogue.reference if dialogue else None

    async def _load(self, key: str | None) -> Dialogue | None:
        if key is None:
            return None
        try:
            return await self.runtime.dialogues.get(key)
        except Exception as exc:
            log.warning("sms.session_unavailable", reason=type(exc).__name__)
            return None

    async def _save(self, key: str, dialogue: Dialogue) -> None:
        try:
            await self.runtime.dialogues.put(key, dialogue)
        except Exception as exc:
            log.warning("sms.session_not_saved", reason=type(exc).__name__)

    async def _forget(self, key: str | None) -> None:
        if key is None:
            return
        try:
            await self.runtime.dialogues.delete(key)
        except Exception as exc:
            log.warning("sms.session_not_deleted", reason=type(exc).__name__)
