"""Everything a process needs at run time, built once in the lifespan or the CLI command."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine
from twilio.request_validator import RequestValidator

from hotline.cases.service import AssessmentLike
from hotline.console.live import CaseFeed, InProcessCaseFeed, build_case_feed, watch_cases
from hotline.core.clock import Clock, system_clock
from hotline.core.config import Settings
from hotline.core.crypto import Keyring, build_keyring
from hotline.core.db import SessionFactory, autocommit_engine, create_engine, create_session_factory
from hotline.core.mail import Mailer, build_mailer
from hotline.core.metrics import Metrics
from hotline.core.queue import InProcessQueue, Queue, RedisStreamQueue
from hotline.core.security import PasswordChecker
from hotline.core.telephony import InMemoryTelephony, Telephony, TwilioTelephony
from hotline.intake.spool import Spool
from hotline.ivr.flow import Flow, cached_flow
from hotline.ivr.oncall import OnCallDirectory
from hotline.ivr.state import CallStateStore, InProcessCallStates, RedisCallStates
from hotline.sms.sessions import DialogueStore, InProcessDialogueStore, build_dialogue_store
from hotline.triage import TRIAGE_VERSION, assess


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    queue: Queue
    spool: Spool
    metrics: Metrics = field(default_factory=Metrics)
    telephony: Telephony = field(default_factory=InMemoryTelephony)
    #: where each live call is in the IVR menu (Redis with a TTL, or in this process)
    call_states: CallStateStore = field(default_factory=InProcessCallStates)
    #: where each SMS/WhatsApp dialogue is (Redis with a 24 h TTL, or in this process)
    dialogues: DialogueStore = field(default_factory=InProcessDialogueStore)
    #: who to ring for an emergency; None until routing provides one (then the configured number)
    on_call: OnCallDirectory | None = None
    #: "this case changed" for the consoles' live queues (Redis pub/sub, or in this process)
    case_feed: CaseFeed = field(default_factory=InProcessCaseFeed)
    #: email to partners; None unless HOTLINE_SMTP_HOST is set
    mailer: Mailer | None = None
    #: connections that commit each statement, for one-statement webhook writes (PostgreSQL
    #: only, :func:`hotline.core.db.autocommit_engine`). None: those writes take a unit of
    #: work from ``sessions``, as on SQLite and in tests whose sessions share one rolled-back
    #: transaction.
    autocommit: AsyncEngine | None = None
    #: where every request and job of this process reads the time (a hand-held clock in tests)
    clock: Clock = system_clock

    @cached_property
    def passwords(self) -> PasswordChecker:
        """argon2 off the event loop, on a bounded pool (hotline.core.security)."""
        return PasswordChecker(self.settings.password_threads, self.settings.signin_waiting_max)

    def __post_init__(self) -> None:
        watch_cases(self.sessions, self.case_feed)

    @cached_property
    def validator(self) -> RequestValidator:
        return RequestValidator(self.settings.twilio_auth_token.get_secret_value())

    def assess(self, text: str, channel: str, answers: Mapping[str, object]) -> AssessmentLike:
        return assess(text, channel, answers)

    @property
    def triage_version(self) -> str:
        return TRIAGE_VERSION

    @cached_property
    def keyring(self) -> Keyring:
        return build_keyring(self.settings)

    @cached_property
    def ivr_flow(self) -> Flow:
        return cached_flow(self.settings.ivr_flow_file)

    @property
    def pepper(self) -> str:
        return self.settings.caller_pepper.get_secret_value()

    async def close(self) -> None:
        await self.queue.close()
        await self.call_states.close()
        await self.dialogues.close()
        await self.telephony.close()
        await self.case_feed.close()
        if "passwords" in self.__dict__:
            self.passwords.close()
        await self.engine.dispose()


def build_queue(settings: Settings) -> Queue:
    if settings.redis_url:
        return RedisStreamQueue.from_url(settings.redis_url, stream=settings.queue_stream)
    return InProcessQueue()


def build_call_states(settings: Settings) -> CallStateStore:
    if settings.redis_url:
        return RedisCallStates.from_url(settings.redis_url)
    return InProcessCallStates()


def build_telephony(settings: Settings) -> Telephony:
    if not settings.sends_for_real:
        return InMemoryTelephony()
    return TwilioTelephony(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        api_url=settings.twilio_api_url,
        from_number=settings.twilio_from_number,
    )


def build_runtime(settings: Settings, *, queue: Queue | None = None) -> Runtime:
    engine = create_engine(settings)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        queue=queue if queue is not None else build_queue(settings),
        spool=Spool(settings.spool_dir),
        telephony=build_telephony(settings),
        call_states=build_call_states(settings),
        dialogues=build_dialogue_store(settings.redis_url),
        case_feed=build_case_feed(settings.redis_url),
        mailer=build_mailer(settings),
        autocommit=autocommit_engine(engine),
    )
    runtime.ivr_flow  # noqa: B018 - a broken IVR flow file stops start-up, not a caller's call
    runtime.keyring  # noqa: B018 - a bad HOTLINE_DATA_KEYS stops start-up here, not at the first text
    return runtime
