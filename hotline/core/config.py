"""Settings, read from the environment with the prefix ``HOTLINE_``.

Settings are built by the CLI or by the app factory and passed down; nothing reads the
environment at import time. In production, :meth:`Settings.check_production` refuses
missing or placeholder secrets, so a forgotten ``.env`` cannot start a line that signs
nothing and peppers nothing.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PLACEHOLDER = "change-me"
_PLACEHOLDERS = frozenset({"", DEV_PLACEHOLDER, "changeme", "secret", "password", "xxx", "todo"})
MIN_SECRET_LENGTH = 32


class Env(StrEnum):
    development = "development"
    production = "production"


class ConfigError(ValueError):
    """A setting is missing or unsafe; the message names it."""


#: Twilio's "valid From" test number: parses as E.164, reaches nobody.
PLACEHOLDER_FROM_NUMBER = "+15005550006"


def is_e164(number: str) -> bool:
    """A number Twilio accepts as a caller id or a sender: ``+`` and a valid number, as written."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(parsed) and (
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    env: Env = Env.development
    database_url: str = "sqlite+aiosqlite:///./var/hotline.sqlite3"
    redis_url: str | None = None
    queue_stream: str = "hotline:pipeline"
    public_base_url: str = "http://127.0.0.1:8000"
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: SecretStr = SecretStr(DEV_PLACEHOLDER)
    twilio_api_url: str = "https://api.twilio.com"
    # The number our SMS and calls come from, and the caller id an emergency <Dial> shows the
    # agent: E.164 (production refuses one that does not parse). The default is Twilio's test
    # number, a valid placeholder.
    twilio_from_number: str = PLACEHOLDER_FROM_NUMBER
    secret_key: SecretStr = SecretStr(DEV_PLACEHOLDER)
    caller_pepper: SecretStr = SecretStr(DEV_PLACEHOLDER)
    # ``id:base64key,...``, newest first (hotline.core.crypto). Empty in development only:
    # a key is then derived from SECRET_KEY.
    data_keys: SecretStr = SecretStr("")
    # Peppers retired by a rotation, comma-separated, newest first: only `hotline privacy
    # export|erase` use them, to find what was filed under a caller's old caller_ref.
    caller_pepper_previous: SecretStr = SecretStr("")
    spool_dir: Path = Path("./var/spool")
    # Below this much free space on the spool's disk, /readyz says "degraded" (docs/operations.md).
    spool_min_free_bytes: int = Field(default=512 * 1024 * 1024, ge=0)
    training: bool = False
    # The IVR: the number an emergency (9) is connected to until routing provides the on-call
    # agent's; recorded prompts (`audio:` in the flow file) relative to this URL; an operator's
    # own copy of hotline/ivr/flow.yaml.
    emergency_number: str | None = None
    ivr_audio_base_url: str | None = None
    ivr_flow_file: Path | None = None

    default_region: str = "CM"
    # USSD (Africa's Talking does not sign requests): the secret expected as ?key= in the
    # callback URL (empty = USSD refused), and the networks its requests may come from.
    ussd_secret: SecretStr = SecretStr("")
    ussd_allowed_networks: str = "127.0.0.1/32,::1/128"
    max_body_bytes: int = 64 * 1024
    token_ttl_seconds: int = 8 * 3600
    # The console (docs/console.md): a session ends after this long without a request, and
    # in any case after the absolute limit; sign-in backs off after this many failures.
    console_idle_minutes: int = Field(default=30, gt=0)
    console_session_hours: int = Field(default=12, gt=0)
    console_lockout_after: int = Field(default=5, gt=0)
    # Sign-in abuse (docs/operations.md#sign-in-limits), console and API alike: after
    # CONSOLE_LOCKOUT_AFTER failures of one (username, client address) pair, each further
    # one doubles that pair's wait; SIGNIN_ACCOUNT_LOCK_AFTER failures of an account from
    # anywhere lock its password-only sign-ins (not a known browser's, not a second factor's);
    # password checks run on PASSWORD_THREADS low-priority threads, and beyond
    # SIGNIN_WAITING_MAX waiting ones a sign-in is refused at once (429).
    signin_account_lock_after: int = Field(default=20, gt=0)
    signin_waiting_max: int = Field(default=16, ge=0)
    password_threads: int = Field(default=1, gt=0)
    # The addresses (or networks) of the reverse proxies whose X-Forwarded-For/-Proto are
    # believed; from any other peer those headers are ignored.
    trusted_proxies: str = "127.0.0.1,::1"
    # The worker side of the outbox: an unprocessed row older than this is published again,
    # and a stream entry pending this long on a dead consumer is claimed by a live one.
    sweep_after_seconds: float = 30.0
    reclaim_after_seconds: float = 60.0
    db_connect_timeout_seconds: float = 3.0
    log_json: bool | None = None

    # Retention, in days after a case closes (docs/privacy.md). Statistics never need these.
    retention_body_days: int = Field(default=365, ge=0)
    retention_recording_days: int = Field(default=90, ge=0)
    retention_callback_days: int = Field(default=0, ge=0)
    retention_every_hours: float = Field(default=24.0, gt=0)

    # Referrals (docs/referrals.md): how long a partner's link works, when an unanswered
    # referral is chased (partner and agent), how often, and the number partners call back.
    referral_link_days: int = Field(default=14, gt=0)
    referral_remind_after_minutes: int = Field(default=240, gt=0)
    referral_max_reminders: int = Field(default=3, ge=0)
    referral_callback_number: str = "1503"
    # Email to partners, sent only when SMTP_HOST is set (STARTTLS when the server offers it).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = "1503 <no-reply@1503.example.cm>"
    smtp_starttls: bool = True

    @model_validator(mode="after")
    def _normalise(self) -> Self:
        self.public_base_url = self.public_base_url.rstrip("/")
        if self.redis_url == "":
            self.redis_url = None
        try:
            self.ussd_networks  # noqa: B018 - a mistyped network is refused at start-up
        except ValueError as exc:
            raise ValueError(f"HOTLINE_USSD_ALLOWED_NETWORKS: {exc}") from None
        return self

    @property
    def ussd_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in self.ussd_allowed_networks.split(",")
            if part.strip()
        )

    @property
    def is_production(self) -> bool:
        return self.env is Env.production

    @property
    def sends_for_real(self) -> bool:
        """Real SMS and calls only with real credentials and never in a training room."""
        token = self.twilio_auth_token.get_secret_value()
        return not self.training and token.strip().lower() not in _PLACEHOLDERS

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_production(self) -> list[str]:
        """Raise :class:`ConfigError` for unsafe production settings; return warnings otherwise."""
        warnings: list[str] = []
        if not self.is_production:
            return warnings
        problems = []
        for name in ("twilio_auth_token", "secret_key", "caller_pepper"):
            value = getattr(self, name).get_secret_value()
            if value.strip().lower() in _PLACEHOLDERS or len(value) < MIN_SECRET_LENGTH:
                problems.append(f"HOTLINE_{name.upper()} is missing or a placeholder")
        problems.extend(self._data_key_problems())
        ussd = self.ussd_secret.get_secret_value()
        if ussd and (ussd.strip().lower() in _PLACEHOLDERS or len(ussd) < MIN_SECRET_LENGTH):
            problems.append("HOTLINE_USSD_SECRET is a placeholder or shorter than 32 characters")
        if not self.public_base_url.startswith("https://"):
            problems.append("HOTLINE_PUBLIC_BASE_URL must be the https:// address Twilio calls")
        if not is_e164(self.twilio_from_number):
            problems.append("HOTLINE_TWILIO_FROM_NUMBER must be a valid E.164 number (+ and digits)")
        if problems:
            raise ConfigError("; ".join(problems))
        if self.is_sqlite:
            warnings.append("production on SQLite: fit for one small office only; use PostgreSQL + Redis")
        elif self.redis_url is None:
            warnings.append("production without HOTLINE_REDIS_URL: the queue lives in this process only")
        if self.twilio_from_number == PLACEHOLDER_FROM_NUMBER:
            warnings.append("HOTLINE_TWILIO_FROM_NUMBER is Twilio's test number: set the line's own")
        return warnings

    def _data_key_problems(self) -> list[str]:
        from hotline.core.crypto import Keyring, KeyringError

        spec = self.data_keys.get_secret_value()
        if not spec.strip():
            return ["HOTLINE_DATA_KEYS is missing (personal data would be sealed with a derived key)"]
        try:
            Keyring.parse(spec)
        except KeyringError as exc:
            return [str(exc)]
        return []

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        _, _, path = self.database_url.partition(":///")
        return Path(path) if path and path != ":memory:" else None


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags, tests) on top."""
    return Settings(**overrides)  # type: ignore[arg-type]


__all__ = ["DEV_PLACEHOLDER", "ConfigError", "Env", "Field", "Settings", "load_settings"]
