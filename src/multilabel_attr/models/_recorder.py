"""The protocol recorder: early stopping, checkpoints and history that survive interruption."""

from __future__ import annotations

import logging
import math
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import keras

from .._io import file_digest, write_json_atomic
from ._checkpoints import (
    _BACKUP,
    _BEST,
    _FINAL,
    _FORMAT,
    _PROGRESS,
    CheckpointError,
    _checked,
    _load_state,
    _prune,
    _remove_temporaries,
    _save_model,
    _save_state,
    _write_history,
)

if TYPE_CHECKING:
    import numpy.typing as npt

_log = logging.getLogger("multilabel_attr.models")


class _ProtocolRecorder(keras.callbacks.Callback):  # type: ignore[misc]
    """Early stopping, checkpoints and history, with state that survives interruption.

    Keras's EarlyStopping forgets its patience counter and best weights when ``fit`` is
    restarted, so a resumed run would not follow the protocol. This callback takes the same
    decisions as ``EarlyStopping(monitor, min_delta, patience, restore_best_weights)``, and
    after every epoch commits them together with the model and optimizer state (see
    `_checkpoints` for the files and their order), so that a rerun continues exactly where the
    last commit left off.
    """

    def __init__(
        self,
        directory: Path,
        *,
        config: dict[str, Any],
        monitor: str,
        mode: Literal["min", "max"],
        min_delta: float,
        patience: int | None,
        restore_best_weights: bool,
    ) -> None:
        super().__init__()
        self.directory = directory
        self.backup = directory / _BACKUP
        self.config = config
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
        self.state_ref: dict[str, Any] | None = None
        self.best_ref: dict[str, Any] | None = None
        self.best_export: dict[str, Any] | None = None
        self.stopped_epoch: int | None = None
        self.resumed_from_epoch = 0

    # -- restoring -----------------------------------------------------------------------------
    def restore(self, model: keras.Model, previous: dict[str, Any]) -> int:
        """Load the last commit of an interrupted run into ``model``; the first epoch to run.

        Raises `CheckpointError` when a file the commit names is missing or damaged.
        """
        self.set_model(model)
        records = list(previous["records"])
        state_ref = previous.get("state")
        if not isinstance(state_ref, dict) or not records:
            raise CheckpointError("the progress file records no checkpoint")
        start = records[-1]["epoch"] + 1
        if state_ref.get("epoch") != start:
            raise CheckpointError(
                f"the checkpoint is of epoch {state_ref.get('epoch')}, the records end at {start}"
            )
        state_path = _checked(self.backup, state_ref)
        best_ref = previous.get("best_weights")
        best_path = None if best_ref is None else _checked(self.backup, best_ref)
        last = records[-1]
        self.records, self.best, self.best_epoch = records, last["best"], last["best_epoch"]
        self.wait, self.stopped_epoch = int(last["wait"]), previous.get("stopped_epoch")
        self.state_ref, self.best_ref = state_ref, best_ref
        self.best_export = previous.get("best_export")
        _prune(self.backup, [state_ref["file"], *([best_ref["file"]] if best_ref else [])])
        _remove_temporaries(self.directory)
        if best_path is not None:
            _load_state(model, best_path)
            self.best_weights = model.get_weights()
            if self.best_epoch is not None and not self._best_exported():
                # Killed between a commit and the export of best.keras: export it again, from
                # the same state as an uninterrupted run would have.
                self._export_best(self.best_epoch)
        _load_state(model, state_path)
        _write_history(self.directory, self._progress(completed=False))
        self.resumed_from_epoch = start
        _log.info("Resuming %s at epoch %d", self.directory, start + 1)
        return start

    def _best_exported(self) -> bool:
        path = self.directory / _BEST
        export = self.best_export
        return (
            export is not None
            and export.get("epoch") == self.best_epoch
            and path.is_file()
            and file_digest(path) == export.get("sha256")
        )

    # -- keras hooks -----------------------------------------------------------------------
    def _is_improvement(self, current: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values = {key: float(value) for key, value in (logs or {}).items()}
        current = values.get(self.monitor)
        weights_changed = improved = False
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
                weights_changed = True
            self.wait += 1
            # Unlike Keras, a NaN loss is never an improvement, not even on the first epoch.
            if math.isfinite(current) and self._is_improvement(current):
                self.best, self.best_epoch, self.wait = current, epoch, 0
                self.best_weights = self.model.get_weights()
                weights_changed = improved = True
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
        self._commit(epoch, weights_changed=weights_changed, improved=improved)

    def finish(self) -> None:
        """End the phase: restore the best weights if asked, export the final model, clean up."""
        if self.restore_best_weights and self.best_weights is not None:
            _log.info("Restoring weights from the best epoch %s", (self.best_epoch or 0) + 1)
            self.model.set_weights(self.best_weights)
        final = self.directory / _FINAL
        _save_model(self.model, final)
        self.state_ref = self.best_ref = None
        self._write(completed=True, final={"sha256": file_digest(final)})
        shutil.rmtree(self.backup, ignore_errors=True)

    # -- writing ---------------------------------------------------------------------------
    def _commit(self, epoch: int, *, weights_changed: bool, improved: bool) -> None:
        """Write the epoch's state file, then the progress file that makes it current."""
        self.state_ref = _save_state(self.model, self.backup, epoch)
        if weights_changed:
            # The weights to restore at the end are this epoch's: keep its state file.
            self.best_ref = self.state_ref
        self._write(completed=False)
        if improved:
            self._export_best(epoch)
        keep = [ref["file"] for ref in (self.state_ref, self.best_ref) if ref is not None]
        _prune(self.backup, keep)

    def _export_best(self, epoch: int) -> None:
        path = self.directory / _BEST
        _save_model(self.model, path)
        self.best_export = {"epoch": epoch, "sha256": file_digest(path)}
        self._write(completed=False)

    def _progress(self, *, completed: bool, **extra: Any) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "config": self.config,
            "completed": completed,
            "records": self.records,
            "stopped_epoch": self.stopped_epoch,
            "state": self.state_ref,
            "best_weights": self.best_ref,
            "best_export": self.best_export,
            **extra,
        }

    def _write(self, *, completed: bool, **extra: Any) -> None:
        progress = self._progress(completed=completed, **extra)
        write_json_atomic(self.directory / _PROGRESS, progress)
        _write_history(self.directory, progress)
