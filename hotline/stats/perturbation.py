"""Consistent perturbation of published counts: the cell-key method.

The method of the Australian Bureau of Statistics' TableBuilder and of the ONS census
tables (Fraser and Wooton 2005; Thompson, Broadfoot and Elazar 2013), on top of the
suppression of :mod:`hotline.stats.disclosure`:

1. Every record (case, contact, referral) has a fixed *record hash*: 32 bits of SHA-256
   of its id (:func:`record_hash`). The rollups keep, beside each count, the sum of the
   record hashes of what it counts, so any cell's sum is the sum of its days' and values'.
2. A cell's *key* is a keyed hash of that sum mod 2**32 (HMAC-SHA256 with a key derived
   from ``HOTLINE_SECRET_KEY``), read as a number in [0, 1). It depends only on *which*
   records are in the cell: the same cell asked through any table, grouping order, range
   or filter that holds the same records gets the same key, and two cells that differ by
   one record get unrelated keys. Without the secret no reader can compute a key.
3. The *perturbation table* :data:`PTABLE` maps the key to a small noise (−2…+2, mean 0,
   variance 0.6); the published count is ``max(k, count + noise)`` for a cell that is
   not suppressed. A zero stays zero.

Repeating a query returns the same figure, so averaging gains nothing; differencing two
tables gives the difference of two noises, never the count of what they differ by.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

from hotline.core.security import derive_key

MODULUS: Final = 1 << 32
# (noise, probability): the perturbation table, the same for every count >= 1.
PTABLE: Final = ((-2, 0.05), (-1, 0.20), (0, 0.50), (1, 0.20), (2, 0.05))
NOISE_BOUND: Final = max(abs(noise) for noise, _ in PTABLE)
_CUMULATIVE: Final = tuple(accumulate(p for _, p in PTABLE))
assert abs(_CUMULATIVE[-1] - 1.0) < 1e-12
assert abs(sum(noise * p for noise, p in PTABLE)) < 1e-12  # unbiased


def record_hash(record_id: uuid.UUID | int | str) -> int:
    """A record's fixed 32-bit hash (its key, before the secret is applied to the cell)."""
    digest = hashlib.sha256(b"hotline:stats-record:" + str(record_id).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def noise_of(cell_key: float) -> int:
    """The perturbation table's noise for a cell key in [0, 1)."""
    return PTABLE[min(bisect_right(_CUMULATIVE, cell_key), len(PTABLE) - 1)][0]


@dataclass(frozen=True)
class CellKeys:
    """The secret that turns a sum of record hashes into a cell key."""

    secret: bytes

    @classmethod
    def from_secret_key(cls, secret_key: str) -> CellKeys:
        return cls(derive_key(secret_key, "stats-cell-key"))

    def cell_key(self, hash_sum: int) -> float:
        digest = hmac.new(self.secret, str(hash_sum % MODULUS).encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64

    def perturb(self, count: int, hash_sum: int, floor: int = 0) -> int:
        """The published value of a count: never below ``floor`` (the threshold), zero kept."""
        if count <= 0:
            return 0
        return max(floor, count + noise_of(self.cell_key(hash_sum)))
