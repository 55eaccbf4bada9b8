"""The flow file: validated as a whole at start-up, with errors that name the entry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotline.core.config import Settings
from hotline.core.runtime import build_runtime
from hotline.ivr.flow import FlowError, Menu, load_flow, packaged_flow_path


def packaged() -> dict[str, object]:
    data = yaml.safe_load(packaged_flow_path().read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "flow.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_packaged_flow_is_valid_and_follows_the_issue() -> None:
    flow = load_flow(packaged_flow_path())
    assert flow.start == "language"
    assert flow.danger.key == "9" and flow.danger.answers.danger_now is True
    assert flow.repeat_key == "*"
    topic = flow.steps["topic"]
    assert isinstance(topic, Menu)
    assert {k: o.answers.menu for k, o in topic.options.items()} == {
        "1": "trafficking",
        "2": "migrant_distress",
        "3": "returnee_support",
        "4": "information",
        "0": "emergency",
    }
    regions = set()
    for name in ("region", "region_more"):
        step = flow.steps[name]
        assert isinstance(step, Menu)
        regions |= {o.answers.region for o in step.options.values() if o.answers.region}
    assert len(regions) == 12, "the ten regions, abroad and don't know"
    assert flow.timing.record_max_seconds == 180 and flow.timing.retries == 2


def test_consent_to_share_is_asked_after_the_callback_and_before_the_message() -> None:
    """Every way out of the callback menu leads to `share`; 1 is consent, 2 a refusal, silence nothing."""
    flow = load_flow(packaged_flow_path())
    callback, share = flow.steps["callback"], flow.steps["share"]
    assert isinstance(callback, Menu) and isinstance(share, Menu)
    assert {o.next for o in (*callback.options.values(), callback.otherwise)} == {"share"}
    assert {k: o.answers.given() for k, o in share.options.items()} == {
        "1": {"share": True},
        "2": {"share": False},
    }
    assert share.otherwise.answers.given() == {}
    assert {o.next for o in (*share.options.values(), share.otherwise)} == {"message"}
    for language in ("fr", "en", "pcm"):
        assert "1" in flow.prompts["share"][language].say and "2" in flow.prompts["share"][language].say


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["steps"]["topic"]["options"]["1"].update(next="nowhere"),
            "steps → topic → 1: leads to unknown step 'nowhere'",
        ),
        (
            lambda d: d["steps"]["child"]["options"].update({"9": {"next": "region"}}),
            "'9' is taken by a key of every menu",
        ),
        (lambda d: d["prompts"]["child"].pop("en"), "prompts → child: no en text"),
        (lambda d: d["steps"]["child"]["options"]["1"]["answers"].update(child="maybe"), "child"),
        (lambda d: d["steps"]["region"]["options"]["1"]["answers"].update(region="Douala"), "region"),
        (lambda d: d["steps"]["share"]["options"]["1"]["answers"].update(share="maybe"), "share"),
        (lambda d: d["steps"]["topic"].update(prompt="nothing"), "unknown prompt 'nothing'"),
        (lambda d: d["prompts"]["reference"]["fr"].update(say="Votre dossier."), "must contain {reference}"),
        (lambda d: d["languages"]["pcm"].update(say_language="en-NG"), "either say_language"),
        (
            lambda d: d["steps"]["topic"]["options"].update({"12": {"next": "child"}}),
            "'12' is not one keypad key",
        ),
    ],
)
def test_a_broken_flow_is_refused_with_the_entry_named(tmp_path: Path, change: object, message: str) -> None:
    data = packaged()
    change(data)  # type: ignore[operator]
    with pytest.raises(FlowError) as raised:
        load_flow(write(tmp_path, data))
    assert message in str(raised.value)
    assert str(raised.value).startswith("flow.yaml:")


def test_a_broken_flow_file_stops_start_up(tmp_path: Path, settings: Settings) -> None:
    data = packaged()
    data["start"] = "missing"
    broken = settings.model_copy(update={"ivr_flow_file": write(tmp_path, data)})
    with pytest.raises(FlowError, match="start: leads to unknown step 'missing'"):
        build_runtime(broken)
