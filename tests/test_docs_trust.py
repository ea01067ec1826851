"""The examples of the guide "Calibration, operating points and intervals" run, and print
the output the guide quotes (numbers to the last digit shown)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guides" / "trust.md"
NOT_RUN = "<!-- not run"
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def examples(text: str) -> list[tuple[str, str | None]]:
    """Each ``python`` block that runs, with the ``text`` block right after it (if any)."""
    fences = list(FENCE.finditer(text))
    found: list[tuple[str, str | None]] = []
    for k, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        before = text[: fence.start()].rstrip()
        if before.endswith("-->") and before[before.rfind("<!--") :].startswith(NOT_RUN):
            continue
        output = None
        after = fences[k + 1] if k + 1 < len(fences) else None
        between = text[fence.end() : after.start()] if after is not None else "x"
        if after is not None and after.group(1) == "text" and not between.strip():
            output = after.group(2)
        found.append((fence.group(2), output))
    return found


def run_examples(text: str) -> list[str]:
    """Run the examples in one namespace (as a reader would); the printed output of each."""
    namespace: dict[str, object] = {"__name__": "guide"}
    outputs = []
    for code, _ in examples(text):
        printed = io.StringIO()
        with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
            warnings.simplefilter("ignore")
            exec(compile(code, str(GUIDE), "exec"), namespace)
        outputs.append(printed.getvalue())
    return outputs


def same_up_to_last_digit(quoted: str, printed: str) -> bool:
    """The texts agree, and each number differs by at most one unit of its last digit."""
    if NUMBER.sub("#", quoted).split() != NUMBER.sub("#", printed).split():
        return False
    for a, b in zip(NUMBER.findall(quoted), NUMBER.findall(printed)):
        decimals = len(a.split(".")[1]) if "." in a and "e" not in a else 0
        if abs(float(a.replace(",", "")) - float(b.replace(",", ""))) > 1.01 * 10.0**-decimals:
            return False
    return True


def test_the_parser_finds_code_and_output_and_skips_marked_blocks():
    text = (
        "```python\nprint(1)\n```\n\n```text\n1\n```\n"
        "<!-- not run: needs data -->\n```python\nraise SystemExit\n```\n"
        "```python\nx = 2\n```\n"
    )
    assert examples(text) == [("print(1)\n", "1\n"), ("x = 2\n", None)]
    assert same_up_to_last_digit("ECE 0.132, n 6,000", "ECE 0.133, n 6,000")
    assert not same_up_to_last_digit("ECE 0.132", "ECE 0.134")
    assert not same_up_to_last_digit("ECE 0.132", "MCE 0.132")


@pytest.mark.slow
def test_the_guide_examples_print_what_the_guide_quotes(tmp_path: Path):
    text = GUIDE.read_text()
    cwd = Path.cwd()
    os.chdir(tmp_path)  # the examples may write files
    try:
        outputs = run_examples(text)
    finally:
        os.chdir(cwd)
    for (code, quoted), printed in zip(examples(text), outputs, strict=True):
        if quoted is None:
            assert printed == "", f"output of an example the guide does not quote:\n{code}"
        else:
            message = f"{code}\nquoted:\n{quoted}\nprinted:\n{printed}"
            assert same_up_to_last_digit(quoted, printed), message
