"""Property tests: assess never raises and always returns valid labels."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.triage import assess
from hotline.triage.assessment import CATEGORIES, FORMS, LANGUAGES, REGIONS, SEVERITIES

_answer_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=20),
    st.sampled_from(["yes", "no", "unknown", "abroad", "emergency", "trafficking", "Littoral", "speak"]),
)  # fmt: skip
_answers = st.one_of(
    st.none(),
    st.dictionaries(
        st.one_of(
            st.sampled_from(["danger_now", "child", "region", "menu", "callback"]), st.text(max_size=10)
        ),
        _answer_values,
        max_size=6,
    ),
)
_texts = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=20),
    st.sampled_from(["'; DROP TABLE cases; --", "\x00\x00", "é" * 6000, "ma fille de 999999999999 ans"]),
)


@settings(max_examples=300, deadline=None)
@given(text=_texts, answers=_answers, channel=st.text(max_size=10))
def test_assess_never_raises_and_labels_are_valid(
    text: str, answers: dict[str, object] | None, channel: str
) -> None:
    """Whatever the text and answers, assess returns an Assessment with labels from GUIDE.md."""
    a = assess(text, channel=channel, answers=answers)
    assert a.category in CATEGORIES
    assert a.severity in SEVERITIES
    assert a.language in LANGUAGES
    assert a.region is None or a.region in REGIONS
    assert (a.form in FORMS) if a.category == "trafficking" else a.form is None
    assert isinstance(a.minor, bool) and isinstance(a.abroad, bool) and isinstance(a.imminent_danger, bool)
    assert not a.imminent_danger or a.severity == "critical"
    assert all(isinstance(r, str) for r in a.reasons) and a.reasons
