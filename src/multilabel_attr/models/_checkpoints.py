"""On-disk state of a training phase: checkpoints, the progress file and the history files.

A phase commits each epoch in one step, the atomic rewrite of ``progress.json``. Everything the
commit refers to is written before it, under a name of its own, and checked by size and sha256
when read back:

- ``backup/epoch-NNNNN.weights.h5``: model and optimizer state after the epoch
  (``keras.Model.save_weights``), from which training resumes;
- the state file of the epoch whose weights early stopping would restore (the best epoch's),
  kept until a better one comes, from which ``best.keras`` can be written again.

``best.keras``, ``final.keras`` and the history files are exports, each written atomically after
the commit that they reflect; a rerun rewrites any export that a kill left behind. A kill at any
moment therefore leaves either the previous commit or the new one, never a mix, and files that a
commit does not name (the previous epoch's, or a temporary file of an interrupted write) are
removed.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras

from .._io import file_digest, save_atomic, write_csv_atomic, write_json_atomic

if TYPE_CHECKING:
    import numpy.typing as npt

_PROGRESS = "progress.json"
_HISTORY_JSON = "history.json"
_HISTORY_CSV = "history.csv"
_BEST = "best.keras"
_FINAL = "final.keras"
_BACKUP = "backup"
_FORMAT = 2

_log = logging.getLogger("multilabel_attr.models")


class CheckpointError(ValueError):
    """A file that a committed training state names is missing or differs from its record."""


def _save_model(model: keras.Model, target: Path) -> None:
    save_atomic(target, lambda tmp: model.save(tmp, overwrite=True), suffix=".keras")


def _weights_from_file(path: Path) -> list[npt.NDArray[Any]]:
    # Loading into a separate model leaves the live model's optimizer and metric state alone,
    # which model.load_weights on a .keras archive would not guarantee.
    loaded = keras.saving.load_model(path, compile=False)
    weights: list[npt.NDArray[Any]] = loaded.get_weights()
    return weights


def _reference(path: Path, **extra: Any) -> dict[str, Any]:
    """What a commit records of a file it names: name, size and checksum."""
    return {
        "file": path.name,
        "bytes": path.stat().st_size,
        "sha256": file_digest(path),
        **extra,
    }


def _checked(folder: Path, ref: dict[str, Any]) -> Path:
    """The path ``ref`` names inside ``folder``, after checking its size and checksum."""
    name = ref.get("file")
    if not isinstance(name, str) or Path(name).name != name:
        raise CheckpointError(f"the progress file names a bad checkpoint file {name!r}")
    path = folder / name
    if not path.is_file():
        raise CheckpointError(f"{str(path)!r} is missing")
    size = path.stat().st_size
    if size != ref.get("bytes"):
        raise CheckpointError(f"{str(path)!r} has {size} bytes, {ref.get('bytes')} recorded")
    if file_digest(path) != ref.get("sha256"):
        raise CheckpointError(f"{str(path)!r} differs from its recorded sha256")
    return path


def _save_state(model: keras.Model, backup: Path, epoch: int) -> dict[str, Any]:
    """Save model and optimizer state after ``epoch``; returns the commit's reference to it."""
    target = backup / f"epoch-{epoch:05d}.weights.h5"
    # Keras insists on the .weights.h5 suffix, so the temporary name ends with it too.
    save_atomic(target, lambda tmp: model.save_weights(tmp, overwrite=True), suffix=".weights.h5")
    return _reference(target, epoch=epoch + 1)


def _load_state(model: keras.Model, path: Path) -> None:
    if model.optimizer is not None and not model.optimizer.built:
        # Building first gives the optimizer's variables somewhere to be loaded into.
        model.optimizer.build(model.trainable_variables)
    try:
        model.load_weights(path)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot load {str(path)!r} ({exc})") from exc


def _prune(backup: Path, keep: Sequence[str]) -> None:
    """Remove every file of ``backup`` but ``keep``: superseded states and interrupted writes."""
    if not backup.is_dir():
        return
    for path in backup.iterdir():
        if path.name not in keep:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def _read_progress(directory: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The committed progress of ``directory``, or why it cannot be used (``None`` if absent)."""
    path = directory / _PROGRESS
    if not path.is_file():
        return None, None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"cannot read {str(path)!r} ({exc})"
    if not isinstance(payload, dict) or not isinstance(payload.get("records"), list):
        return None, f"{str(path)!r} is not a training progress file"
    if payload.get("format") != _FORMAT and not payload.get("completed"):
        return None, f"{str(path)!r} was written by another version of this library"
    return payload, None


def _nan(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _history_from_records(records: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    seen: list[str] = []
    for record in records:
        for key in record["logs"]:
            if key not in seen:
                seen.append(key)
    # Loss first, then metrics, training before validation, as Keras prints them.
    keys = sorted(seen, key=lambda k: (k.startswith("val_"), k.removeprefix("val_") != "loss"))
    return {key: [_nan(record["logs"].get(key)) for record in records] for key in keys}


def _write_history(directory: Path, progress: dict[str, Any]) -> None:
    records = progress["records"]
    history = _history_from_records(records)
    epochs = [int(r["epoch"]) for r in records]
    best_epoch = records[-1]["best_epoch"] if records else None
    write_json_atomic(
        directory / _HISTORY_JSON,
        {
            "monitor": progress["config"]["monitor"],
            "completed": progress["completed"],
            "best_epoch": best_epoch,
            "stopped_epoch": progress["stopped_epoch"],
            "epoch": epochs,
            "history": history,
        },
    )
    keys = list(history)
    rows = [[epoch, *(repr(history[key][i]) for key in keys)] for i, epoch in enumerate(epochs)]
    write_csv_atomic(directory / _HISTORY_CSV, ["epoch", *keys], rows)


def _clear(directory: Path) -> None:
    """Remove a phase's state and exports, so that it starts afresh."""
    backup = directory / _BACKUP
    if backup.exists():
        shutil.rmtree(backup)
    for name in (_PROGRESS, _BEST, _FINAL, _HISTORY_JSON, _HISTORY_CSV):
        (directory / name).unlink(missing_ok=True)
    _remove_temporaries(directory)


def _remove_temporaries(directory: Path) -> None:
    # Left by a write that a kill interrupted (see _io.atomic_path for the naming).
    for name in (_PROGRESS, _BEST, _FINAL, _HISTORY_JSON, _HISTORY_CSV):
        for stale in directory.glob(f".{name}.*"):
            stale.unlink(missing_ok=True)


def _restart(who: str, directory: Path, reason: str) -> None:
    message = f"{who}: {reason}; the phase in {str(directory)!r} restarts from its first epoch"
    warnings.warn(message, RuntimeWarning, stacklevel=4)
    _clear(directory)


def _previous_run(directory: Path, who: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """The usable committed state of an earlier run in ``directory``, if any."""
    previous, problem = _read_progress(directory)
    if problem is not None:
        _restart(who, directory, problem)
        return None
    if previous is None:
        _clear(directory)  # exports or a backup without a commit: nothing to resume
        return None
    if previous.get("config") != config:
        raise ValueError(
            f"{who}: {str(directory)!r} holds a run with a different protocol "
            f"({previous.get('config')!r}, now {config!r}); use another output_dir or "
            "resume=False to discard it"
        )
    if previous.get("completed"):
        final = directory / _FINAL
        recorded = (previous.get("final") or {}).get("sha256")
        if not final.is_file() or (recorded is not None and file_digest(final) != recorded):
            _restart(who, directory, f"the final model {str(final)!r} is missing or damaged")
            return None
        shutil.rmtree(directory / _BACKUP, ignore_errors=True)  # left if killed at the end
        _remove_temporaries(directory)
    return previous
