"""``hotline simulate call``: the terminal phone against a real ``hotline serve``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.servers import cases_seen_by_a_supervisor, clean_env, free_port, run, serving

pytestmark = pytest.mark.slow


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = clean_env(tmp_path, emergency_number="+237699000111")
    with serving(env, tmp_path) as url:
        yield url, env


def test_a_trainer_walks_the_menu_in_english_and_the_report_becomes_a_case(
    line: tuple[str, dict[str, str]],
) -> None:
    url, env = line
    # English; trafficking; child: a wrong key, then yes; region: more, South West; callback no;
    # share with a partner yes; a message; then the line reads the reference and hangs up.
    keys = "2\n1\n7\n1\n0\n4\n2\n1\nThey took my sister to work in a bar\n"
    result = run(env, "simulate", "call", "--url", url, stdin=keys)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1503 ▸ Welcome to 1503" in out
    assert "1503 ▸ Bienvenue au 1503" in out, "the language menu is said in every language"
    assert "1503 ▸ Sorry, I did not understand." in out
    assert "Which region?" in out and "North West: 1" in out
    assert "May we pass your report to an organisation that can help you" in out
    assert "Dans quelle région" not in out, "after the choice, only the chosen language"
    assert "Call ended: the line hung up." in out
    reference = out.split("Your case number is: ")[1][:22].replace(", ", "")
    assert reference.isdigit() and len(reference) == 8

    cases = cases_seen_by_a_supervisor(env, url)
    assert [c["reference"] for c in cases] == [reference]
    assert (cases[0]["category"], cases[0]["minor"], cases[0]["region"]) == ("trafficking", True, "Sud-Ouest")


def test_a_trainer_can_press_nine_and_hang_up(line: tuple[str, dict[str, str]]) -> None:
    url, env = line
    result = run(env, "simulate", "call", "--url", url, stdin="1\n9\nn\nh\n")
    assert result.returncode == 0, result.stderr
    assert "ringing the person on call" in result.stdout
    assert "Personne n'a pu répondre" in result.stdout
    assert "Call ended: you hung up." in result.stdout


def test_simulate_call_to_nowhere_fails_with_one_line(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    result = run(env, "simulate", "call", "--url", f"http://127.0.0.1:{free_port()}", stdin="")
    assert result.returncode != 0
    assert result.stderr.startswith("error: could not reach")
    assert len(result.stderr.strip().splitlines()) == 1
