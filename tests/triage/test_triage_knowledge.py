"""The data files: validated at load with errors naming file and entry; operators extend them without code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotline.triage import Engine, KnowledgeError
from hotline.triage.engine import default_engine


def _edit(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_packaged_data_loads_once_per_process() -> None:
    """The packaged knowledge is loaded once and reused."""
    assert default_engine() is default_engine()


def test_gazetteer_covers_several_hundred_places(engine: Engine) -> None:
    """The gazetteer holds several hundred Cameroonian places over all 10 regions, and foreign places."""
    gazetteer = engine.knowledge.gazetteer
    assert len(gazetteer.regions) == 10
    names = sum(len(p.names) for places in gazetteer.regions.values() for p in places)
    assert names >= 400
    assert sum(len(p.names) for p in gazetteer.abroad) >= 100


def test_unknown_tag_names_file_and_entry(data_copy: Path) -> None:
    """A concept with an unknown tag is refused with the file and concept named."""
    _edit(data_copy / "lexicon.yaml", lambda d: d["concepts"]["violence"].update(tags=["violent_thing"]))
    with pytest.raises(KnowledgeError, match=r"lexicon\.yaml.*violence.*unknown tags"):
        Engine.from_directory(data_copy)


def test_bad_phrase_is_refused(data_copy: Path) -> None:
    """A phrase with accents or punctuation is refused, naming the phrase."""
    _edit(
        data_copy / "lexicon.yaml",
        lambda d: d["concepts"]["confinement"]["phrases"]["fr"].append("enfermée!"),
    )
    with pytest.raises(KnowledgeError, match="enfermée!"):
        Engine.from_directory(data_copy)


def test_unknown_region_is_refused(data_copy: Path) -> None:
    """A gazetteer region that is not one of the 10 regions is refused."""
    _edit(data_copy / "gazetteer.yaml", lambda d: d["regions"].update({"Lagos State": ["Ikeja"]}))
    with pytest.raises(KnowledgeError, match=r"gazetteer\.yaml.*Lagos State"):
        Engine.from_directory(data_copy)


def test_unknown_fact_in_severity_rule_is_refused(data_copy: Path) -> None:
    """A severity rule over an unknown fact is refused, naming the rule's position."""
    _edit(data_copy / "severity.yaml", lambda d: d["rules"][0].update(all=["full_moon"]))
    with pytest.raises(KnowledgeError, match=r"severity\.yaml: entry rules → 0 → all"):
        Engine.from_directory(data_copy)


def test_broken_yaml_and_missing_file_are_clear_errors(data_copy: Path) -> None:
    """Invalid YAML and a missing file raise KnowledgeError naming the file."""
    (data_copy / "language.yaml").write_text("markers: [unclosed", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"language\.yaml: not valid YAML"):
        Engine.from_directory(data_copy)
    (data_copy / "language.yaml").unlink()
    with pytest.raises(KnowledgeError, match=r"language\.yaml: cannot read"):
        Engine.from_directory(data_copy)


def test_operator_adds_a_town(data_copy: Path) -> None:
    """An operator adds a locality to gazetteer.yaml and it is recognised, no code changed."""
    text = "ma soeur travaille sans salaire à Nkolandom, le patron garde sa carte"
    assert Engine.from_directory(data_copy).assess(text).region is None
    _edit(data_copy / "gazetteer.yaml", lambda d: d["regions"]["Sud"].append("Nkolandom"))
    assert Engine.from_directory(data_copy).assess(text).region == "Sud"


def test_operator_adds_a_phrase(data_copy: Path) -> None:
    """An operator adds a phrase to a concept and it counts, no code changed."""
    text = "il la tient captive dans la cave"
    assert Engine.from_directory(data_copy).assess(text).severity == "low"
    _edit(
        data_copy / "lexicon.yaml", lambda d: d["concepts"]["confinement"]["phrases"]["fr"].append("captive")
    )
    assert Engine.from_directory(data_copy).assess(text).severity == "critical"
