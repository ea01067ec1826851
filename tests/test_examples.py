"""Every example in examples/ runs (the reproduction at its smoke size)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _run(script: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # A user's environment: no TensorFlow log setting, so the package's defaults show.
    inherited = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env = {
        **inherited,
        "PYTHONPATH": str(ROOT / "src"),
        "MULTILABEL_ATTR_CACHE": str(tmp_path / "cache"),
        "MPLBACKEND": "Agg",
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900, check=False,
    )  # fmt: skip


def test_every_example_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == [
        "at_scale.py",
        "quickstart.py",
        "reproduce_paper_table.py",
    ]


def test_quickstart(tmp_path: Path) -> None:
    result = _run("quickstart.py", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Hamming loss" in result.stdout
    assert "streamed" in result.stdout


def test_at_scale(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    pytest.importorskip("dask.dataframe")
    result = _run("at_scale.py", "--rows", "20000", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "tuned thresholds equal the in-memory search" in result.stdout
    assert "Dask: same report and thresholds" in result.stdout


@pytest.mark.tf
@pytest.mark.slow
def test_reproduce_paper_table_smoke(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    result = _run("reproduce_paper_table.py", "--smoke", "--output", "out", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    # No TensorFlow chatter: start-up lines, the CUDA probe, retracing notices.
    for noise in ("I0000", "E0000", "cuInit", "absl::InitializeLog", "retracing"):
        assert noise not in result.stderr, noise
    out = tmp_path / "out"
    report = (out / "report.md").read_text()
    for heading in (
        "### 1. The published table",
        "### 2. Reproduced the paper's way",
        "### 3. Corrected table",
        "### 4. Baselines",
        "### 5. By group",
    ):
        assert heading in report
    assert "These numbers are **synthetic**" in report
    assert (out / "figures" / "subgroup_gaps.png").is_file()
    assert "synthetic images" in report
    assert "no ImageNet weights" in report
    assert "0.80356" in report  # the published CNN "Recall"
    summary = json.loads((out / "report.json").read_text())
    assert set(summary["papers_way"]) == {"CNN", "Transfer model"}
    assert len(summary["thresholds"]["CNN"]["exact"]) == 40
    assert "majority" in json.dumps(summary["baselines"]).lower()
    assert set(summary["subgroups"]["by"]) == {"Male", "Young"}
    assert len(summary["subgroups"]["by"]["Male"]) == 39
    for figure in summary["figures"]:
        assert (out / figure).stat().st_size > 5_000
    assert len(summary["figures"]) >= 5
    assert (out / "models" / "cnn" / "final.keras").exists()
