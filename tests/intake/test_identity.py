"""Numbers become caller_refs: one person, one ref, whatever the format; no number kept."""

from __future__ import annotations

from hotline.intake.identity import caller_ref_for, strip_channel_prefix, to_e164

PEPPER = "pepper-for-identity-tests-0123456789"


def test_cameroonian_numbers_in_any_format_normalise_to_e164() -> None:
    """Local, spaced, international and WhatsApp forms of a Cameroonian number are one E.164 number."""
    for raw in (
        "690000001",
        "6 90 00 00 01",
        "+237 690 00 00 01",
        "00237690000001",
        "whatsapp:+237690000001",
    ):
        assert to_e164(raw) == "+237690000001", raw


def test_foreign_numbers_keep_their_country() -> None:
    assert to_e164("+218 91 234 5678") == "+218912345678"  # Libya
    assert to_e164("whatsapp:+96550012345") == "+96550012345"  # Kuwait


def test_withheld_and_garbage_callers_have_no_number_but_still_a_ref() -> None:
    for raw in ("anonymous", "", "Restricted", "+", "'; DROP TABLE contacts;--"):
        assert to_e164(raw) is None
        assert len(caller_ref_for(raw, PEPPER)) == 64


def test_the_caller_ref_depends_on_the_pepper_and_hides_the_number() -> None:
    """Without the pepper nobody can recompute a caller_ref from a guessed number."""
    ref = caller_ref_for("+237690000001", PEPPER)
    assert ref == caller_ref_for("690000001", PEPPER)
    assert ref != caller_ref_for("+237690000001", PEPPER + "x")
    assert "690000001" not in ref


def test_channel_prefixes_are_stripped() -> None:
    assert strip_channel_prefix("whatsapp:+237690000001") == ("+237690000001", "whatsapp")
    assert strip_channel_prefix("+237690000001") == ("+237690000001", None)
