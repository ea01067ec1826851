"""The training benchmark at its smoke size: every section runs and reports numbers.

The benchmark is sized for an accelerator and run there; this keeps it working between runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.tf, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]


def test_every_section_runs_at_smoke_size(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TF_CPP_MIN_LOG_LEVEL": "2"}
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_training.py"), "--smoke",
         "--json", str(out), "--workdir", str(tmp_path / "work")],
        check=True, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    results = json.loads(out.read_text())
    assert set(results["pipeline"]) >= {"uncached", "cached"}
    assert all(rate > 0 for rate in results["pipeline"].values())
    assert set(results["steps"]) == {"cnn", "frozen", "fine_tune"}
    assert len(results["steps"]["cnn"]) == 4  # float32 and mixed precision, with and without XLA
    for rows in results["steps"].values():
        assert all(row["images_per_s"] > 0 for row in rows.values())
    assert set(results["protocol_epochs"]) == {"mixed_float16", "float32"}
    for epochs in results["protocol_epochs"].values():
        assert epochs["cnn"] > 0 and epochs["protocol_wall_s"] > 0
    assert results["pipeline_over_step"]
