"""The scenario library stays true: every caller text gets the triage the scenario teaches."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.training.scenarios import LANGUAGES, ScenarioError, default_scenarios, load_scenarios
from hotline.triage import assess

SCENARIOS = default_scenarios()


def test_the_library_has_the_four_cases_the_trainers_asked_for() -> None:
    assert {"douala-domestic-minor", "agadez-stranded-migrant", "gulf-recruitment", "prank"} <= set(SCENARIOS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("scenario_id", sorted(SCENARIOS))
def test_each_caller_text_gets_the_expected_triage(scenario_id: str, language: str) -> None:
    """What a scenario says the line will do is what the triage engine does, in French and English."""
    scenario = SCENARIOS[scenario_id]
    verdict = assess(scenario.caller_text.get(language), channel=scenario.channel)
    assert (verdict.category, verdict.severity) == (
        scenario.expected_triage.category,
        scenario.expected_triage.severity,
    ), verdict.reasons


def test_a_broken_scenario_file_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: x\ntitle: {fr: a}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad\.yaml"):
        load_scenarios(tmp_path)
