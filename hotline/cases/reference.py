"""Case references: eight digits a frightened caller can read out or key in.

Seven random digits (never a leading zero, so nothing is lost when a spreadsheet or a
keypad drops it) and a Verhoeff check digit. Verhoeff catches every single-digit error and
every swap of two adjacent digits, the two mistakes people make most when they read a
number aloud or type it. Random, not sequential: a reference says nothing about how many
reports came before it and cannot be guessed from a neighbour's.
"""

from __future__ import annotations

import secrets

# Multiplication table of the dihedral group D5, the permutation table, and the inverses.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

REFERENCE_LENGTH = 8


def check_digit(digits: str) -> str:
    """The Verhoeff digit to append to ``digits``."""
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return str(_INV[c])


def is_valid(reference: str) -> bool:
    """True when ``reference`` is eight digits whose last one checks the others."""
    if len(reference) != REFERENCE_LENGTH or not reference.isdigit() or reference[0] == "0":
        return False
    c = 0
    for i, ch in enumerate(reversed(reference)):
        c = _D[c][_P[i % 8][int(ch)]]
    return c == 0


def new_reference() -> str:
    body = str(secrets.randbelow(9_000_000) + 1_000_000)
    return body + check_digit(body)


def normalise(text: str) -> str | None:
    """A reference as typed or spoken ("1234 567-8") → its digits, or None if it cannot be one."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if is_valid(digits) else None


def spoken(reference: str) -> str:
    """Digits separated for text-to-speech, so the voice reads them one by one."""
    return ", ".join(reference)
