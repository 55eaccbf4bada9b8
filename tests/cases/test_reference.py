"""Case references: eight digits, a Verhoeff check digit, random and speakable."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from hotline.cases.reference import check_digit, is_valid, new_reference, normalise, spoken

seven_digits = st.integers(min_value=1_000_000, max_value=9_999_999).map(str)


def test_new_references_are_eight_digits_that_check() -> None:
    """Every issued reference is 8 digits, starts with a non-zero digit and passes its check digit."""
    for _ in range(1000):
        ref = new_reference()
        assert len(ref) == 8 and ref.isdigit() and ref[0] != "0"
        assert is_valid(ref)


def test_references_are_not_sequential() -> None:
    """Consecutive references say nothing about each other: no two of a thousand are neighbours."""
    refs = sorted(int(new_reference()[:7]) for _ in range(1000))
    assert len(set(refs)) > 990
    assert sum(1 for a, b in itertools.pairwise(refs) if b - a == 1) < 5


@given(seven_digits, st.integers(min_value=0, max_value=7), st.integers(min_value=1, max_value=9))
def test_every_single_digit_mistake_is_caught(body: str, position: int, shift: int) -> None:
    """Mistyping any one digit of a reference makes it invalid."""
    ref = body + check_digit(body)
    wrong = ref[:position] + str((int(ref[position]) + shift) % 10) + ref[position + 1 :]
    assert not is_valid(wrong)


@given(seven_digits, st.integers(min_value=0, max_value=6))
def test_every_swap_of_two_neighbouring_digits_is_caught(body: str, position: int) -> None:
    """Swapping two adjacent, different digits of a reference makes it invalid."""
    ref = body + check_digit(body)
    if ref[position] == ref[position + 1]:
        return
    swapped = ref[:position] + ref[position + 1] + ref[position] + ref[position + 2 :]
    assert not is_valid(swapped)


def test_a_reference_typed_with_spaces_or_dashes_is_understood() -> None:
    ref = new_reference()
    assert normalise(f"{ref[:4]} {ref[4:]}") == ref
    assert normalise(f"REF: {ref[:3]}-{ref[3:]}") == ref
    assert normalise("12345678") is None or is_valid("12345678")
    assert normalise("hello") is None


def test_a_reference_is_spoken_digit_by_digit() -> None:
    assert spoken("12345678") == "1, 2, 3, 4, 5, 6, 7, 8"
