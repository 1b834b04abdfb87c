"""The README's example is real: run it and compare with the output it shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_example_prints_what_the_readme_says() -> None:
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert block, "README has a python example"
    code = block.group(1)
    shown = [line[2:] for line in code.splitlines() if line.startswith("# #")]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {})
    untimed = [re.sub(r"\[\d+ms\]$", "[0ms]", line) for line in printed.getvalue().splitlines()]
    assert untimed == shown, "timings vary on a loaded machine; everything else must match"
    assert len(shown) == 2
