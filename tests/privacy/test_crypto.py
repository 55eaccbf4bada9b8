"""AES-GCM with key ids: what is sealed opens only with its key, in its place, unaltered."""

from __future__ import annotations

import base64

import pytest

from hotline.core.config import ConfigError, Settings
from hotline.core.crypto import Keyring, KeyringError, SealError, build_keyring, new_key

K1 = "k1:" + base64.b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.b64encode(b"2" * 32).decode()


def test_a_value_is_sealed_with_the_newest_key_and_opens_in_its_place() -> None:
    keyring = Keyring.parse(f"{K2},{K1}")
    token = keyring.seal("Ma sœur est enfermée", "contacts.body_enc:1")
    assert token.startswith("k2:")
    assert "enfermée" not in token
    assert keyring.open(token, "contacts.body_enc:1") == "Ma sœur est enfermée"
    assert keyring.seal("x", "a") != keyring.seal("x", "a"), "a fresh nonce every time"


def test_older_keys_still_open_what_they_sealed() -> None:
    old = Keyring.parse(K1).seal("bonjour", "here")
    assert Keyring.parse(f"{K2},{K1}").open(old, "here") == "bonjour"
    assert not Keyring.parse(f"{K2},{K1}").is_current(old)


def test_a_value_moved_to_another_row_or_altered_or_under_a_dropped_key_does_not_open() -> None:
    """A ciphertext copied to another row, edited, or sealed under a key no longer listed is refused."""
    keyring = Keyring.parse(K1)
    token = keyring.seal("bonjour", "contacts.body_enc:1")
    with pytest.raises(SealError):
        keyring.open(token, "contacts.body_enc:2")
    # A character in the middle: the last ones may carry base64 padding bits that decode to
    # nothing, and changing those would change no byte at all (a flaky test, once).
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "g") + token[middle + 1 :]
    with pytest.raises(SealError):
        keyring.open(tampered, "contacts.body_enc:1")
    with pytest.raises(SealError, match="unknown key id"):
        Keyring.parse(K2).open(token, "contacts.body_enc:1")


@pytest.mark.parametrize(
    "spec",
    ["", "k1", "k1:not-base64!", "k1:" + base64.b64encode(b"short").decode(), f"{K1},{K1}", "bad id:AAAA"],
)
def test_a_malformed_key_list_is_refused_without_echoing_the_key(spec: str) -> None:
    with pytest.raises(KeyringError) as caught:
        Keyring.parse(spec)
    assert "MTEx" not in str(caught.value)  # no base64 key material in the message


def test_json_mappings_round_trip_and_empty_ones_are_stored_as_null() -> None:
    keyring = Keyring.parse(K1)
    assert keyring.seal_json({}, "w") is None
    assert keyring.open_json(None, "w") == {}
    token = keyring.seal_json({"menu": "trafficking", "seconds": 12}, "w")
    assert token is not None
    assert keyring.open_json(token, "w") == {"menu": "trafficking", "seconds": 12}


def test_development_derives_a_key_and_production_refuses_to_start_without_one() -> None:
    assert build_keyring(Settings()).current == "dev"
    assert build_keyring(Settings(data_keys=f"{K2},{K1}")).key_ids == ("k2", "k1")  # type: ignore[arg-type]
    assert Keyring.parse("fresh:" + new_key()).current == "fresh"


@pytest.mark.parametrize("keys", ["", "k1:c2hvcnQ="])
def test_production_refuses_missing_or_malformed_data_keys(keys: str) -> None:
    """Production never seals personal data with a derived or broken key: it does not start."""
    strong = "s" * 40
    settings = Settings(
        env="production",  # type: ignore[arg-type]
        twilio_auth_token=strong,  # type: ignore[arg-type]
        secret_key=strong,  # type: ignore[arg-type]
        caller_pepper=strong,  # type: ignore[arg-type]
        data_keys=keys,  # type: ignore[arg-type]
        public_base_url="https://1503.example.cm",
    )
    with pytest.raises(ConfigError, match="HOTLINE_DATA_KEYS"):
        settings.check_production()


def test_every_listed_personal_column_is_found_by_the_sealed_column_convention() -> None:
    """Rotation, retention and erasure find sealed columns by their `_enc` suffix: none is missed."""
    from hotline.privacy.sealed import SEALED_COLUMNS, sealed_columns

    found = sealed_columns()
    assert set(SEALED_COLUMNS) <= set(found)
    assert all(column.column.endswith("_enc") for column in found)
