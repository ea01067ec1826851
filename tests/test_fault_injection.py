"""Kill conversion and training with SIGKILL at chosen moments; a rerun must make it whole.

Each run happens in a subprocess. A ``sitecustomize`` module, put on the subprocess's path,
wraps ``os.replace`` (the last step of every atomic write in the library) so that the process
SIGKILLs itself right before the n-th file is moved into the output folder, after cutting the
temporary file in half (a kill in the middle of a write), or right after it (a kill between two
writes). The rerun's output must equal that of an uninterrupted run, no temporary file may be
left, and ``verify`` must pass.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from multilabel_attr.datasets import celeba

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")]

SRC = Path(__file__).resolve().parents[1] / "src"

SITECUSTOMIZE = '''
import os
import signal
import time

_KILL = os.environ.get("FAULT_KILL")  # "before:N:FOLDER" or "after:N:FOLDER"
_SLOW = float(os.environ.get("FAULT_SLOW", "0"))  # seconds per record written

if _KILL:
    _when, _n, _folder = _KILL.split(":", 2)
    _count = [0]
    _replace = os.replace

    def _kill_on_replace(src, dst, *args, **kwargs):
        if not os.fspath(dst).startswith(_folder):
            return _replace(src, dst, *args, **kwargs)
        _count[0] += 1
        if _count[0] == int(_n) and _when == "before":
            if os.path.basename(src).startswith("."):  # a temporary file, half written
                with open(src, "r+b") as handle:
                    handle.truncate(os.path.getsize(src) // 2)
            os.kill(os.getpid(), signal.SIGKILL)
        _replace(src, dst, *args, **kwargs)
        if _count[0] == int(_n):
            os.kill(os.getpid(), signal.SIGKILL)

    os.replace = _kill_on_replace

if _SLOW:
    from multilabel_attr.datasets.celeba import _framing

    _write = _framing._RecordWriter.write

    def _slow_write(self, record):
        time.sleep(_SLOW)
        _write(self, record)

    _framing._RecordWriter.write = _slow_write
'''

CONVERT = """
import sys
from multilabel_attr.datasets import celeba
celeba.convert(sys.argv[1], sys.argv[2], shards=int(sys.argv[3]), workers=int(sys.argv[4]),
               progress=False)
"""

TRAIN = """
import json, sys
import numpy as np
import tensorflow as tf
tf.config.experimental.enable_op_determinism()
from multilabel_attr.models import build_paper_cnn, train_cnn
rng = np.random.default_rng(0)
images = rng.integers(0, 256, (24, 34, 34, 3)).astype("float32")
labels = (rng.random((24, 4)) < 0.4).astype("float32")
def data():
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
model = build_paper_cnn((34, 34, 3), 4, seed=0)
result = train_cnn(model, data(), data(), epochs=3, patience=1, min_delta=0.0,
                   output_dir=sys.argv[1], verbose=0)
np.savez(sys.argv[2], *model.get_weights())
with open(sys.argv[3], "w") as handle:
    json.dump({"epochs": result.epochs, "best_epoch": result.best_epoch,
               "stopped_epoch": result.stopped_epoch, "history": result.history}, handle)
"""


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hooks")
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return folder


def _env(hooks: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULT_")}
    env["PYTHONPATH"] = os.pathsep.join([str(hooks), str(SRC), env.get("PYTHONPATH", "")])
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return {**env, **extra}


def _run(hooks: Path, code: str, args: list[Any], kill: str | None = None) -> int:
    env = _env(hooks, **({"FAULT_KILL": kill} if kill else {}))
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if kill is None:
        assert done.returncode == 0, done.stderr[-3000:]
    return done.returncode


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _temporaries(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*"))


# -- conversion -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("celeba")
    celeba.make_synthetic(root, 60, seed=5, workers=0)
    return root


@pytest.fixture(scope="module")
def reference(source: Path, hooks: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    _run(hooks, CONVERT, [source, out, 2, 0])
    return out


# Six shards and their progress files are 12 renames, then the manifest is the 13th.
@pytest.mark.parametrize(
    "kill", ["before:1", "after:1", "after:2", "before:6", "after:11", "before:13", "after:13"]
)
@pytest.mark.parametrize("previous", [None, 3])
def test_conversion_killed_then_rerun_equals_an_uninterrupted_one(
    source: Path, reference: Path, hooks: Path, tmp_path: Path, kill: str, previous: int | None
) -> None:
    out = tmp_path / "out"
    if previous is not None:  # a re-conversion of a folder converted with other shard counts
        _run(hooks, CONVERT, [source, out, previous, 0])
    code = _run(hooks, CONVERT, [source, out, 2, 0], kill=f"{kill}:{out}{os.sep}")
    assert code == -signal.SIGKILL
    if (out / celeba.MANIFEST).exists():  # what a manifest vouches for is intact
        celeba.verify(out)
    _run(hooks, CONVERT, [source, out, 2, 0])
    assert _snapshot(out) == _snapshot(reference)
    assert _temporaries(out) == []
    celeba.verify(out)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_writer_processes_die_with_a_killed_converter(
    source: Path, reference: Path, hooks: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    parent = subprocess.Popen(
        [sys.executable, "-c", CONVERT, str(source), str(out), "2", "2"],
        env=_env(hooks, FAULT_SLOW="0.05"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob(".celeba-*.tmp")) and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = _children(parent.pid)
        assert workers, "the converter started no writer process"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
    before = {p.name: p.stat().st_size for p in out.iterdir()}
    time.sleep(0.5)
    assert {p.name: p.stat().st_size for p in out.iterdir()} == before  # nobody writes

    _run(hooks, CONVERT, [source, out, 2, 2])
    assert _snapshot(out) == _snapshot(reference)
    assert _temporaries(out) == []
    celeba.verify(out)


# -- training ---------------------------------------------------------------------------------


def _train(hooks: Path, folder: Path, kill: str | None = None) -> int:
    return _run(
        hooks,
        TRAIN,
        [folder, folder.parent / f"{folder.name}.npz", folder.parent / f"{folder.name}.json"],
        kill=None if kill is None else f"{kill}:{folder}{os.sep}",
    )


def _result(folder: Path) -> tuple[list[np.ndarray], dict[str, Any]]:
    with np.load(folder.parent / f"{folder.name}.npz") as data:
        weights = [data[f"arr_{i}"] for i in range(len(data.files))]
    return weights, json.loads((folder.parent / f"{folder.name}.json").read_text())


@pytest.fixture(scope="module")
def trained(hooks: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("tensorflow")
    folder = tmp_path_factory.mktemp("trained") / "run"
    _train(hooks, folder)
    return folder


# An epoch writes its state, the progress file and the two history files, then (when it
# improved) exports best.keras with the progress and history again: the first epoch is renames
# 1 to 8. The points cover its checkpoint writes, the next epochs and the end.
@pytest.mark.tf
@pytest.mark.parametrize(
    "kill", ["before:1", "after:1", "after:2", "before:5", "after:9", "before:20"]
)
def test_training_killed_then_rerun_equals_an_uninterrupted_one(
    trained: Path, hooks: Path, tmp_path: Path, kill: str
) -> None:
    folder = tmp_path / "run"
    assert _train(hooks, folder, kill=kill) == -signal.SIGKILL
    _train(hooks, folder)
    weights, summary = _result(folder)
    ref_weights, ref_summary = _result(trained)
    for key in ("epochs", "best_epoch", "stopped_epoch"):
        assert summary[key] == ref_summary[key], key
    for key, values in ref_summary["history"].items():
        np.testing.assert_allclose(summary["history"][key], values, rtol=1e-6, err_msg=key)
    for a, b in zip(weights, ref_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in trained.iterdir())
    assert _temporaries(folder) == []
