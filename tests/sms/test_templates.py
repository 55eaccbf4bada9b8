"""Every reply fits in two SMS, in GSM-7, says nothing sensitive, in fr, en and pcm."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.sms.dialogue import QUESTION
from hotline.sms.segments import Encoding, measure, non_gsm7
from hotline.sms.templates import LANGUAGES, TemplateError, Templates, default_templates

# Realistic references: the longest digits-only form, and ones with many distinct digits.
REFERENCES = ("98765432", "10000009", "55555555")


def rendered() -> list[tuple[str, str, str]]:
    templates = default_templates()
    out = []
    for name in templates.names:
        for language in LANGUAGES:
            for reference in REFERENCES:
                values = {"reference": reference} if "reference" in templates.get(name).values else {}
                out.append((name, language, templates.render(name, language, **values)))
    # Replies that join two templates: a re-asked question, HELP in the middle of a dialogue.
    for language in LANGUAGES:
        for question in QUESTION.values():
            for first in ("not_understood", "help"):
                text = templates.render(first, language) + "\n" + templates.render(question, language)
                out.append((f"{first}+{question}", language, text))
    return out


@pytest.mark.parametrize(("name", "language", "text"), rendered())
def test_every_reply_fits_in_two_gsm7_segments(name: str, language: str, text: str) -> None:
    """A reply costs at most 2 SMS and never switches a feature phone to UCS-2."""
    size = measure(text)
    assert non_gsm7(text) == [], f"{name}.{language} forces UCS-2"
    assert size.encoding is Encoding.gsm7
    assert size.segments <= 2, f"{name}.{language}: {size}"


@pytest.mark.parametrize(("name", "language", "text"), rendered())
def test_no_reply_names_what_the_report_is_about(name: str, language: str, text: str) -> None:
    """The phone may be read by an exploiter: no reply says trafficking, police or exploitation."""
    lowered = text.lower()
    for word in ("traffic", "trafic", "traite", "police", "gendarm", "exploit", "abus", "victim"):
        assert word not in lowered, f"{name}.{language}"


def test_segment_arithmetic_follows_gsm_03_38() -> None:
    assert measure("a" * 160) == measure("a" * 160)
    assert measure("a" * 160).segments == 1
    assert measure("a" * 161).segments == 2
    assert measure("a" * 306).segments == 2
    assert measure("a" * 307).segments == 3
    assert measure("é" * 160).encoding is Encoding.gsm7  # é is in the default alphabet
    assert measure("€" * 80).units == 160  # extension characters cost two septets
    assert measure("€" * 81).segments == 2
    # An escape pair never straddles two segments: 152 + a 2-septet '€' starts segment 2.
    assert measure("a" * 152 + "€" + "a" * 10).segments == 2
    assert measure("ç" * 70).encoding is Encoding.ucs2  # ç is not: the whole text becomes UCS-2
    assert measure("ç" * 70).segments == 1
    assert measure("ç" * 71).segments == 2
    assert measure("ç" * 134).segments == 2
    assert measure("ç" * 135).segments == 3
    assert measure("🙂" * 35).units == 70  # a surrogate pair is two UTF-16 units
    assert measure("").segments == 0


def write(tmp_path: Path, fr: str, *, sensitive: bool = False) -> Path:
    path = tmp_path / "templates.yaml"
    flag = "\n    sensitive: true" if sensitive else ""
    path.write_text(
        "sensitive_words: [police]\ntemplates:\n  t:\n    values: [reference]" + flag + "\n"
        f'    fr: "{fr}"\n    en: "Ref {{reference}}"\n    pcm: "Ref {{reference}}"\n',
        encoding="utf-8",
    )
    return path


def test_a_template_that_forces_ucs2_is_refused_at_load(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"t\.fr: characters \['ç'\] force UCS-2"):
        Templates.from_file(write(tmp_path, "Message reçu, ref {reference}"))


def test_a_template_longer_than_two_sms_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"t\.fr: 3 SMS segments"):
        Templates.from_file(write(tmp_path, "x" * 300 + " {reference}"))


def test_a_sensitive_word_needs_an_explicit_flag(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="sensitive words"):
        Templates.from_file(write(tmp_path, "Appelez la police, ref {reference}"))
    allowed = Templates.from_file(write(tmp_path, "Appelez la police, ref {reference}", sensitive=True))
    assert "police" in allowed.render("t", "fr", reference="12345678")


def test_a_placeholder_missing_in_one_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"t\.fr: placeholders"):
        Templates.from_file(write(tmp_path, "Merci"))
