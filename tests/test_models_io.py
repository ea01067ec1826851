"""Atomic writers behind the training files."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import pytest

# The writers are plain Python, but they live in a package that imports Keras.
pytest.importorskip("keras")

from multilabel_attr._io import (
    atomic_path,
    write_csv_atomic,
    write_json_atomic,
    write_text_atomic,
)

pytestmark = pytest.mark.tf


def test_json_is_strict_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "h.json"
    write_json_atomic(target, {"loss": [0.5, float("nan"), float("inf")], "epoch": [0, 1, 2]})
    assert json.loads(target.read_text()) == {"loss": [0.5, None, None], "epoch": [0, 1, 2]}
    write_json_atomic(target, {"loss": [0.25]})
    assert json.loads(target.read_text()) == {"loss": [0.25]}
    assert [p.name for p in target.parent.iterdir()] == ["h.json"]


def test_csv_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "h.csv"
    write_csv_atomic(target, ["epoch", "loss"], [[0, "0.5"], [1, "0.25"]])
    with open(target, newline="") as handle:
        assert list(csv.reader(handle)) == [["epoch", "loss"], ["0", "0.5"], ["1", "0.25"]]


def test_failure_keeps_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    write_text_atomic(target, "old")

    def crash_while_saving() -> None:
        with atomic_path(target, suffix=".keras") as tmp:
            assert tmp.suffix == ".keras"
            tmp.write_text("half written")
            raise RuntimeError("crash while saving")

    with pytest.raises(RuntimeError, match="crash while saving"):
        crash_while_saving()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]


def test_written_files_follow_umask(tmp_path: Path) -> None:
    target = tmp_path / "h.json"
    write_json_atomic(target, {})
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
