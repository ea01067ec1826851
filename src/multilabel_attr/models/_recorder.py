"""The protocol recorder: early stopping, best checkpoint and history that survive interruption."""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import keras

from .._io import file_digest, write_json_atomic
from ._checkpoints import (
    _BEST,
    _FINAL,
    _FORMAT,
    _PROGRESS,
    _save_model,
    _weights_from_file,
    _write_history,
)

if TYPE_CHECKING:
    import numpy.typing as npt

_log = logging.getLogger("multilabel_attr.models")


class _ProtocolRecorder(keras.callbacks.Callback):  # type: ignore[misc]
    """Early stopping, best checkpoint and history, with state that survives interruption.

    Keras's EarlyStopping forgets its patience counter and best weights when ``fit`` is
    restarted, so a resumed run would not follow the protocol. This callback takes the same
    decisions as ``EarlyStopping(monitor, min_delta, patience, restore_best_weights)`` but
    records them after every epoch, before BackupAndRestore writes its own backup, so the two
    agree on which epochs are done.
    """

    def __init__(
        self,
        directory: Path,
        *,
        config: dict[str, Any],
        previous: dict[str, Any] | None,
        monitor: str,
        mode: Literal["min", "max"],
        min_delta: float,
        patience: int | None,
        restore_best_weights: bool,
    ) -> None:
        super().__init__()
        self.directory = directory
        self.config = config
        self.previous = previous
        self.monitor = monitor
        self.mode = mode
        self.min_delta = min_delta
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.records: list[dict[str, Any]] = []
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.best_weights: list[npt.NDArray[Any]] | None = None
        self.best_checkpoint_sha: str | None = None
        self.best_checkpoint_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.resumed_from_epoch: int | None = None
        self._restored = False

    # -- restoring -----------------------------------------------------------------------------
    def _restore(self, first_epoch: int | None) -> None:
        self._restored = True
        self.resumed_from_epoch = first_epoch
        previous = self.previous
        if not previous:
            return
        records = list(previous.get("records", []))
        if first_epoch is not None:
            # The backup may be one epoch behind the records if the run died between the two
            # writes; that epoch is rerun, so its record is dropped.
            records = [r for r in records if r["epoch"] < first_epoch]
        self.records = records
        if not records:
            return
        last = records[-1]
        self.best = last["best"]
        self.best_epoch = last["best_epoch"]
        self.wait = int(last["wait"])
        _log.info("Resuming %s at epoch %d", self.directory, records[-1]["epoch"] + 2)
        if self.best_epoch is None:
            return
        best_path = self.directory / _BEST
        sha = previous.get("best_checkpoint_sha")
        if (
            best_path.is_file()
            and previous.get("best_checkpoint_epoch") == self.best_epoch
            and sha == file_digest(best_path)
        ):
            self.best_checkpoint_epoch = self.best_epoch
            self.best_checkpoint_sha = sha
            if self.restore_best_weights:
                self.best_weights = _weights_from_file(best_path)
        else:
            # Only possible if the run died between writing best.keras and the progress file.
            warnings.warn(
                f"{str(best_path)!r} does not hold the best epoch ({self.best_epoch + 1}) "
                "recorded before the interruption; the best model is tracked afresh from the "
                "next epoch",
                RuntimeWarning,
                stacklevel=2,
            )
            self.best = None
            self.best_epoch = None

    # -- keras hooks -----------------------------------------------------------------------
    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._restored:
            self._restore(epoch)

    def _is_improvement(self, current: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values = {key: float(value) for key, value in (logs or {}).items()}
        current = values.get(self.monitor)
        if current is None:
            warnings.warn(
                f"the monitored quantity {self.monitor!r} is not in the epoch logs "
                f"(available: {sorted(values)}); no early stopping or best checkpoint this epoch",
                RuntimeWarning,
                stacklevel=2,
            )
        else:
            if self.restore_best_weights and self.best_weights is None:
                # Same fallback as keras.callbacks.EarlyStopping: never restore "nothing".
                self.best_weights = self.model.get_weights()
            self.wait += 1
            # Unlike Keras, a NaN loss is never an improvement, not even on the first epoch.
            if math.isfinite(current) and self._is_improvement(current):
                self.best = current
                self.best_epoch = epoch
                self.wait = 0
                if self.restore_best_weights:
                    self.best_weights = self.model.get_weights()
                best_path = self.directory / _BEST
                _save_model(self.model, best_path)
                self.best_checkpoint_sha = file_digest(best_path)
                self.best_checkpoint_epoch = epoch
            elif self.patience is not None and self.wait >= self.patience and epoch > 0:
                self.stopped_epoch = epoch
                self.model.stop_training = True
        self.records.append(
            {
                "epoch": epoch,
                "logs": values,
                "best": self.best,
                "best_epoch": self.best_epoch,
                "wait": self.wait,
            }
        )
        self._write(completed=False)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if not self._restored:
            self._restore(None)
        if self.restore_best_weights and self.best_weights is not None:
            _log.info("Restoring weights from the best epoch %s", (self.best_epoch or 0) + 1)
            self.model.set_weights(self.best_weights)
        _save_model(self.model, self.directory / _FINAL)
        self._write(completed=True)

    # -- writing ---------------------------------------------------------------------------
    def _write(self, *, completed: bool) -> None:
        progress = {
            "format": _FORMAT,
            "config": self.config,
            "completed": completed,
            "records": self.records,
            "best_checkpoint_epoch": self.best_checkpoint_epoch,
            "best_checkpoint_sha": self.best_checkpoint_sha,
            "stopped_epoch": self.stopped_epoch,
        }
        write_json_atomic(self.directory / _PROGRESS, progress)
        _write_history(self.directory, progress)
