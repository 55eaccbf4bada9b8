"""Encryption of personal data at rest: AES-256-GCM under named keys.

``HOTLINE_DATA_KEYS`` is ``id:base64key,id:base64key,...``, newest first. New values are
sealed with the first key; every listed key can still open what it sealed, so a key is
removed from the list only after ``hotline keys rotate`` has re-sealed everything under
the newest one.

A sealed value is text, so it fits a ``TEXT`` column on every backend::

    <key id>:<urlsafe base64 of 12-byte nonce ‖ ciphertext ‖ 16-byte tag>

The associated data names where the value lives (``contacts.body:<contact id>``): a
ciphertext copied into another column or another row does not open, so someone who can
write the database still cannot move a report's words onto another case unnoticed.

Errors: :class:`KeyringError` for a bad ``HOTLINE_DATA_KEYS`` (raised at start-up);
:class:`SealError` when a value cannot be opened (unknown key id, tampered, wrong place).
Neither message ever carries key material or plaintext.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hotline.core.security import derive_key

if TYPE_CHECKING:
    from hotline.core.config import Settings

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID = re.compile(r"^[A-Za-z0-9-]{1,16}$")
DEVELOPMENT_KEY_ID = "dev"


class KeyringError(ValueError):
    """``HOTLINE_DATA_KEYS`` is malformed; the message names the entry, never the key."""


class SealError(Exception):
    """A sealed value could not be opened: unknown key id, altered, or not where it was sealed."""


def new_key() -> str:
    """A fresh random key, base64 as HOTLINE_DATA_KEYS wants it."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


@dataclass(frozen=True, slots=True)
class Keyring:
    """Named AES-GCM keys, newest first. Built by the Runtime, never at import time."""

    _ciphers: Mapping[str, AESGCM]
    current: str

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        ciphers: dict[str, AESGCM] = {}
        current = ""
        for position, entry in enumerate(part.strip() for part in spec.split(",") if part.strip()):
            key_id, sep, encoded = entry.partition(":")
            key_id = key_id.strip()
            if not sep or not KEY_ID.match(key_id):
                raise KeyringError(
                    f"HOTLINE_DATA_KEYS entry {position + 1}: expected id:base64key "
                    "(id: letters, digits or '-', at most 16)"
                )
            try:
                raw = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise KeyringError(f"HOTLINE_DATA_KEYS key {key_id!r} is not valid base64") from None
            if len(raw) != KEY_BYTES:
                raise KeyringError(f"HOTLINE_DATA_KEYS key {key_id!r} must be {KEY_BYTES} bytes")
            if key_id in ciphers:
                raise KeyringError(f"HOTLINE_DATA_KEYS lists key id {key_id!r} twice")
            ciphers[key_id] = AESGCM(raw)
            current = current or key_id
        if not ciphers:
            raise KeyringError("HOTLINE_DATA_KEYS is empty")
        return cls(ciphers, current)

    @classmethod
    def for_development(cls, secret_key: str) -> Keyring:
        """A key derived from SECRET_KEY, so the demo runs unconfigured; production refuses it."""
        return cls({DEVELOPMENT_KEY_ID: AESGCM(derive_key(secret_key, "data-key"))}, DEVELOPMENT_KEY_ID)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def seal(self, plaintext: str, where: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self.current].encrypt(nonce, plaintext.encode("utf-8"), where.encode("utf-8"))
        return f"{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, token: str, where: str) -> str:
        key_id, sep, encoded = token.partition(":")
        cipher = self._ciphers.get(key_id)
        if not sep or cipher is None:
            raise SealError(f"sealed with an unknown key id {key_id[:16]!r}")
        try:
            raw = base64.urlsafe_b64decode(encoded)
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], where.encode("utf-8")).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError):
            raise SealError(
                f"a value sealed under {key_id!r} does not open at {where.split(':')[0]}"
            ) from None

    def seal_optional(self, plaintext: str | None, where: str) -> str | None:
        return None if plaintext is None else self.seal(plaintext, where)

    def open_optional(self, token: str | None, where: str) -> str | None:
        return None if token is None else self.open(token, where)

    def seal_json(self, value: Mapping[str, Any], where: str) -> str | None:
        """A mapping as sealed JSON; an empty mapping is stored as NULL (nothing to hide)."""
        if not value:
            return None
        return self.seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")), where)

    def open_json(self, token: str | None, where: str) -> dict[str, Any]:
        if token is None:
            return {}
        value = json.loads(self.open(token, where))
        if not isinstance(value, dict):
            raise SealError(f"a sealed mapping at {where.split(':')[0]} is not a mapping")
        return value

    def is_current(self, token: str) -> bool:
        return token.startswith(f"{self.current}:")


def build_keyring(settings: Settings) -> Keyring:
    """The configured data keys; in development without any, one derived from SECRET_KEY."""
    spec = settings.data_keys.get_secret_value()
    if spec.strip():
        return Keyring.parse(spec)
    return Keyring.for_development(settings.secret_key.get_secret_value())


def key_id_of(token: str) -> str:
    return token.partition(":")[0]
