"""How many SMS a text costs: GSM 03.38 (7-bit) or UCS-2, and its segments.

A text made only of the GSM 03.38 default alphabet (and its extension table, whose
characters take two septets) travels as GSM-7: 160 septets in one SMS, 153 per segment when
it is split (the rest carries the concatenation header). One character outside it (``ç``,
``ê``, a curly apostrophe, an emoji) turns the whole text into UCS-2: 70 UTF-16 units in
one SMS, 67 per segment. Segments never split an escape pair or a surrogate pair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class Encoding(StrEnum):
    gsm7 = "GSM-7"
    ucs2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class SmsSize:
    encoding: Encoding
    units: int
    """Septets for GSM-7, UTF-16 code units for UCS-2."""
    segments: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def non_gsm7(text: str) -> list[str]:
    """The characters that force UCS-2, in order of appearance, once each."""
    return list(dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION))


def _widths(text: str, encoding: Encoding) -> list[int]:
    if encoding is Encoding.gsm7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def measure(text: str) -> SmsSize:
    encoding = Encoding.gsm7 if is_gsm7(text) else Encoding.ucs2
    widths = _widths(text, encoding)
    units = sum(widths)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding is Encoding.gsm7 else (UCS2_SINGLE, UCS2_PART)
    if units <= single:
        return SmsSize(encoding, units, 1 if units else 0)
    segments, used = 1, 0
    for width in widths:
        if used + width > part:  # a two-unit character never straddles two segments
            segments += 1
            used = 0
        used += width
    return SmsSize(encoding, units, max(segments, math.ceil(units / part)))
