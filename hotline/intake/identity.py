"""Who is calling, without keeping who is calling: numbers in, caller_ref out."""

from __future__ import annotations

import phonenumbers

from hotline.core.security import caller_ref

_CHANNEL_PREFIXES = ("whatsapp:", "messenger:", "sms:", "tel:")
UNKNOWN_CALLER = "unknown"


def strip_channel_prefix(address: str) -> tuple[str, str | None]:
    """``whatsapp:+237…`` → (``+237…``, ``whatsapp``)."""
    lowered = address.strip().lower()
    for prefix in _CHANNEL_PREFIXES:
        if lowered.startswith(prefix):
            return address.strip()[len(prefix) :], prefix[:-1]
    return address.strip(), None


def to_e164(address: str, default_region: str = "CM") -> str | None:
    """The E.164 form of a number as a provider sent it, or None when it is not a number.

    Withheld and anonymous callers ("anonymous", "+266696687", empty) come back as None; they
    still report, under one shared ``unknown`` caller_ref.
    """
    number, _ = strip_channel_prefix(address)
    if not number or not any(ch.isdigit() for ch in number):
        return None
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def caller_ref_for(address: str, pepper: str, default_region: str = "CM") -> str:
    return caller_ref_of(to_e164(address, default_region), pepper)


def caller_ref_of(e164: str | None, pepper: str) -> str:
    """The caller_ref of a number already in E.164 (None: withheld, the shared ``unknown``)."""
    return caller_ref(pepper, e164 if e164 is not None else UNKNOWN_CALLER)
