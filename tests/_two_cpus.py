"""Run a script in a fresh Python process with two logical CPU devices (for tf.distribute).

Logical devices can only be configured before TensorFlow initialises, hence a new process;
the script prints one line ``RESULT<json>``, returned here as a dict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"

PRELUDE = """
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)
"""


def run_on_two_cpus(script: str, *args: str, timeout: float = 300) -> dict[str, Any]:
    """Run ``PRELUDE + script`` with ``args`` as ``sys.argv[1:]``; its parsed RESULT line."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + script, *args], capture_output=True, text=True,
        env=env, timeout=timeout, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(row for row in done.stdout.splitlines() if row.startswith("RESULT"))
    result: dict[str, Any] = json.loads(line[len("RESULT") :])
    return result
