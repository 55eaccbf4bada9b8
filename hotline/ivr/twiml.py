"""TwiML for each step of the flow, built with the twilio SDK's VoiceResponse only.

Every action URL is ``<public base>/twilio/voice/<verb>/<step name>`` plus, for menus, the
attempt number: opaque ids, never an answer, a number or a reference. A menu is a one-key
``<Gather>`` followed by a ``<Redirect>`` to the same action, which is how silence reaches us.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from twilio.twiml.voice_response import Gather, VoiceResponse

from hotline.cases.reference import spoken
from hotline.ivr.flow import LANGUAGES, DialStep, Flow, GoodbyeStep, Menu, RecordStep, Text

VOICE_PATH = "/twilio/voice"


def menu_path(step: str, attempt: int) -> str:
    return f"{VOICE_PATH}/menu/{quote(step, safe='')}?try={attempt}"


def dialed_path(step: str) -> str:
    return f"{VOICE_PATH}/dialed/{quote(step, safe='')}"


def recorded_path(step: str) -> str:
    return f"{VOICE_PATH}/recorded/{quote(step, safe='')}"


RECORDING_STATUS_PATH = f"{VOICE_PATH}/recording"


@dataclass(frozen=True, slots=True)
class Utterance:
    """One thing the caller hears: a recording to play, or text for a voice to say."""

    text: str
    say_language: str | None = None
    voice: str | None = None
    audio_url: str | None = None


class Speaker:
    """Turns the flow's prompts into <Say>/<Play>, following the language fallbacks."""

    def __init__(self, flow: Flow, *, public_base_url: str, audio_base_url: str | None) -> None:
        self.flow = flow
        self.base = public_base_url.rstrip("/")
        self.audio_base = audio_base_url.rstrip("/") if audio_base_url else None

    def url(self, path: str) -> str:
        return self.base + path

    def _audio_url(self, text: Text) -> str | None:
        if not text.audio:
            return None
        if text.audio.startswith(("https://", "http://")):
            return text.audio
        return f"{self.audio_base}/{text.audio.lstrip('/')}" if self.audio_base else None

    def utterance(self, prompt: str, language: str, **values: str) -> Utterance:
        texts = self.flow.prompts[prompt]
        lang = language if language in LANGUAGES else self.flow.default_language
        text = texts.get(lang)
        # A recorded prompt wins in any language; otherwise a language without a voice
        # (Pidgin) borrows its fallback's text and voice.
        if text is not None and not values and (audio := self._audio_url(text)):
            return Utterance(text=text.say, audio_url=audio)
        voice = self.flow.languages[lang]
        while voice.fallback is not None or text is None:
            lang = voice.fallback or self.flow.default_language
            voice = self.flow.languages[lang]
            text = texts.get(lang)
        return Utterance(
            text=text.say.format(**values) if values else text.say,
            say_language=voice.say_language,
            voice=voice.voice,
        )

    def utterances(self, prompt: str, language: str | None, **values: str) -> list[Utterance]:
        """The prompt in the caller's language, or in every language before they chose one."""
        if language is not None:
            return [self.utterance(prompt, language, **values)]
        out: list[Utterance] = []
        for lang in LANGUAGES:
            said = self.utterance(prompt, lang, **values)
            if said not in out:
                out.append(said)
        return out

    def speak(self, target: VoiceResponse | Gather, prompt: str, language: str | None, **values: str) -> None:
        for said in self.utterances(prompt, language, **values):
            if said.audio_url:
                target.play(said.audio_url)
            else:
                target.say(said.text, language=said.say_language, voice=said.voice)


class Screens:
    """One method per kind of step; each returns a complete ``<Response>``."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self.flow = speaker.flow

    def menu(
        self, name: str, step: Menu, language: str | None, *, attempt: int, sorry: bool
    ) -> VoiceResponse:
        timing = self.flow.timing
        response = VoiceResponse()
        action = self.speaker.url(menu_path(name, attempt))
        # finishOnKey="" makes # an ordinary (wrong) key instead of "submit nothing".
        gather = response.gather(
            input="dtmf",
            num_digits=1,
            timeout=timing.gather_timeout_seconds,
            finish_on_key="",
            action=action,
            method="POST",
        )
        if sorry:
            self.speaker.speak(gather, "sorry", language)
        # Before a language is chosen, the language menu speaks every language.
        self.speaker.speak(gather, step.prompt, None if step.multilingual else language)
        response.redirect(action, method="POST")
        return response

    def dial(
        self, name: str, step: DialStep, language: str | None, number: str, caller_id: str
    ) -> VoiceResponse:
        response = VoiceResponse()
        self.speaker.speak(response, step.prompt, language)
        # callerId is the hotline's own number: the agent never sees the caller's.
        response.dial(
            number,
            action=self.speaker.url(dialed_path(name)),
            method="POST",
            timeout=self.flow.timing.dial_timeout_seconds,
            caller_id=caller_id,
        )
        return response

    def record(self, name: str, step: RecordStep, language: str | None) -> VoiceResponse:
        timing = self.flow.timing
        response = VoiceResponse()
        self.speaker.speak(response, step.prompt, language)
        action = self.speaker.url(recorded_path(name))
        response.record(
            action=action,
            method="POST",
            max_length=timing.record_max_seconds,
            timeout=timing.record_silence_seconds,
            finish_on_key="#",
            play_beep=True,
            recording_status_callback=self.speaker.url(RECORDING_STATUS_PATH),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed",
        )
        # Silence records nothing and falls through to here: the report is still made.
        response.redirect(action, method="POST")
        return response

    def goodbye(self, step: GoodbyeStep, language: str | None, reference: str | None) -> VoiceResponse:
        response = VoiceResponse()
        if reference:
            for _ in range(2):
                self.speaker.speak(response, step.reference_prompt, language, reference=spoken(reference))
        for prompt in step.prompts:
            self.speaker.speak(response, prompt, language)
        response.hangup()
        return response


def empty() -> VoiceResponse:
    """For callbacks whose answer Twilio ignores (status, recording ready): still valid TwiML."""
    return VoiceResponse()
