"""Settings: production refuses to start on placeholder secrets."""

from __future__ import annotations

import pytest

from hotline.core.config import ConfigError, Settings, is_e164

STRONG = "s" * 40


def production(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "production",
        "twilio_auth_token": STRONG,
        "secret_key": STRONG,
        "caller_pepper": STRONG,
        "data_keys": "k1:" + "A" * 43 + "=",
        "public_base_url": "https://1503.example.cm",
        "database_url": "postgresql+asyncpg://hotline@db/hotline",
        "redis_url": "redis://cache:6379/0",
        "twilio_from_number": "+237222231503",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def test_production_with_real_secrets_starts_without_warnings() -> None:
    assert production().check_production() == []


@pytest.mark.parametrize("name", ["twilio_auth_token", "secret_key", "caller_pepper"])
@pytest.mark.parametrize("value", ["", "change-me", "secret", "short"])
def test_production_refuses_a_missing_or_placeholder_secret(name: str, value: str) -> None:
    """Production never starts with a secret that is missing, a placeholder or too short."""
    with pytest.raises(ConfigError, match=f"HOTLINE_{name.upper()}"):
        production(**{name: value}).check_production()


def test_production_needs_the_https_address_twilio_calls() -> None:
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        production(public_base_url="http://1503.example.cm").check_production()


@pytest.mark.parametrize("number", ["+2371503", "1503", "2371503", "+237 2 22 23 15 03", "HOTLINE", ""])
def test_production_refuses_a_from_number_that_is_not_e164(number: str) -> None:
    """Rule: production never starts with a sender / caller id Twilio would refuse (a short code, spaces)."""
    with pytest.raises(ConfigError, match="HOTLINE_TWILIO_FROM_NUMBER"):
        production(twilio_from_number=number).check_production()


def test_the_default_from_number_is_a_valid_placeholder_that_production_warns_about() -> None:
    assert is_e164(Settings().twilio_from_number)
    warnings = production(twilio_from_number=Settings().twilio_from_number).check_production()
    assert any("TWILIO_FROM_NUMBER" in w for w in warnings)


def test_production_on_sqlite_works_with_a_warning() -> None:
    warnings = production(
        database_url="sqlite+aiosqlite:///./var/office.sqlite3", redis_url=None
    ).check_production()
    assert any("SQLite" in w for w in warnings)


def test_development_accepts_the_placeholders() -> None:
    assert Settings().check_production() == []


def test_there_is_no_setting_that_turns_signature_checks_off() -> None:
    """Signature checks cannot be switched off by configuration, in any environment."""
    names = " ".join(Settings.model_fields).lower()
    for word in ("verify", "validate", "signature", "insecure", "skip"):
        assert word not in names


def test_production_app_refuses_to_build_with_placeholders() -> None:
    from hotline.main import create_app

    with pytest.raises(ConfigError):
        create_app(production(secret_key="change-me"))
