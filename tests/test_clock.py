"""No test may depend on today's date: every reader of the time goes through an injectable clock.

A test that pins its moments (a shift at 10:00 on a fixed day, an escalation deadline five
minutes later) only keeps passing on another date when the code it drives takes the time from
the runtime's clock (``Runtime.clock``, the ``NowDep`` dependency, a ``clock=`` argument), which
the test replaces with its own. This test reads every module of the package and fails on a
direct read of the wall clock anywhere but ``hotline/core/clock.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hotline

PACKAGE = Path(hotline.__file__).parent

#: (module attribute, function) pairs that read the wall clock.
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}

#: Modules allowed to read it, and why.
ALLOWED = {
    "core/clock.py": "the one wall clock",
}


def wall_clock_reads(path: Path) -> list[int]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and (node.func.value.id, node.func.attr) in WALL_CLOCK
        ):
            found.append(node.lineno)
    return found


def test_only_the_clock_module_reads_the_wall_clock() -> None:
    """Outside hotline/core/clock.py, no module calls datetime.now/utcnow/today or date.today."""
    offenders = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if str(path.relative_to(PACKAGE)) not in ALLOWED
        for line in wall_clock_reads(path)
    ]
    assert offenders == [], "read the time from an injected Clock instead: " + ", ".join(offenders)


def test_the_check_finds_a_direct_read(tmp_path: Path) -> None:
    """The scan is not vacuous: a module calling datetime.now(UTC) is reported with its line."""
    module = tmp_path / "m.py"
    module.write_text("from datetime import UTC, datetime\n\nx = 1\nwhen = datetime.now(UTC)\n")
    assert wall_clock_reads(module) == [4]
