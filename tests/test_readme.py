"""The README: a two-command quick start, and example outputs that the code really gives."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from exokg.examples import EXAMPLES

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_one_block_of_exactly_two_commands():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.S)
    lines = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(lines) == 2
    assert "exokg serve" in lines[0] and "pip install" in lines[0]
    assert "pytest" in lines[1]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert lines[1] in ci  # CI runs the README's test command verbatim


def test_readme_example_outputs_are_what_the_queries_give(store_dir):
    assert sum(e.kind == "SELECT" for e in EXAMPLES) >= 6
    result = subprocess.run([sys.executable, str(REPO / "tools" / "readme_examples.py"),
                             "--store", str(store_dir)], capture_output=True, text=True,
                            cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in README


def test_readme_settings_table_is_the_config():
    from exokg.config import settings_table

    assert settings_table() in README
