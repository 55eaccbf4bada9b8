"""What a test may expect of a published count: the true count, give or take the perturbation."""

from __future__ import annotations

import re

from hotline.stats.perturbation import NOISE_BOUND


def near(published: object, true: int, k: int = 5) -> bool:
    """A published count is within the perturbation table's bound of the truth, never below k."""
    return isinstance(published, int) and published >= k and abs(published - true) <= NOISE_BOUND


def shows_near(text: str, pattern: str, true: int, k: int = 5) -> bool:
    """Some match of ``pattern`` (one group: a count) in ``text`` is near ``true``."""
    return any(near(int(found), true, k) for found in re.findall(pattern, text))


NUM = r'<td class="num">(\d+)</td>'
