"""docs/architecture.md stays true: every record type is described, every module it names exists."""

from __future__ import annotations

import re
from pathlib import Path

from chatcli.session.records import RECORD_TYPES

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_record_type_has_a_row() -> None:
    missing = [kind for kind in RECORD_TYPES if f"| `{kind}` |" not in DOC]
    assert missing == [], f"docs/architecture.md describes no {missing} record"


def test_every_module_the_page_names_exists() -> None:
    named = set(re.findall(r"`((?:[a-z_]+/)*[a-z_*{},]+\.py)`", DOC))
    assert len(named) > 40
    missing = []
    for name in sorted(named):
        base = ROOT / "chatcli" if not name.startswith(("bench/", "tests/")) else ROOT
        pattern = re.sub(r"\{([^}]*)\}", lambda m: "*", name)  # `{a,b}.py` checked as a glob
        if not list(base.glob(pattern)):
            missing.append(name)
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"


def test_the_code_cites_the_page_that_exists() -> None:
    cited = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "chatcli").rglob("*.py")
        if "DESIGN.md" in path.read_text(encoding="utf-8")
    ]
    assert cited == []
