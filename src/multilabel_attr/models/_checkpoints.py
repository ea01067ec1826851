"""On-disk state of a training phase: checkpoints, the progress file and the history files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras

from .._io import save_atomic, write_csv_atomic, write_json_atomic

if TYPE_CHECKING:
    import numpy.typing as npt

_PROGRESS = "progress.json"
_HISTORY_JSON = "history.json"
_HISTORY_CSV = "history.csv"
_BEST = "best.keras"
_FINAL = "final.keras"
_BACKUP = "backup"
_FORMAT = 1


def _save_model(model: keras.Model, target: Path) -> None:
    save_atomic(target, lambda tmp: model.save(tmp, overwrite=True), suffix=".keras")


def _weights_from_file(path: Path) -> list[npt.NDArray[Any]]:
    # Loading into a separate model leaves the live model's optimizer and metric state alone,
    # which model.load_weights on a .keras archive would not guarantee.
    loaded = keras.saving.load_model(path, compile=False)
    weights: list[npt.NDArray[Any]] = loaded.get_weights()
    return weights


def _read_progress(directory: Path, who: str) -> dict[str, Any] | None:
    path = directory / _PROGRESS
    if not path.is_file():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{who}: cannot read the training progress file {str(path)!r} ({exc}); pass "
            "resume=False to start this phase afresh"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ValueError(
            f"{who}: {str(path)!r} is not a progress file written by this library version; pass "
            "resume=False to start this phase afresh"
        )
    return payload


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
