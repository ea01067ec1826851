"""The paper's training protocols, made resumable and logged to disk."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import keras
import tensorflow as tf

from ..core._validation import check_int
from ._accelerate import Acceleration, JitCompile, Precision
from ._builders import set_base_trainable
from ._checkpoints import (
    _BEST,
    _FINAL,
    _HISTORY_CSV,
    _HISTORY_JSON,
    CheckpointError,
    _clear,
    _history_from_records,
    _previous_run,
    _read_progress,
    _restart,
    _weights_from_file,
)
from ._recorder import _ProtocolRecorder

__all__ = [
    "TrainingResult",
    "TransferTrainingResult",
    "default_metrics",
    "train_cnn",
    "train_transfer",
]

_log = logging.getLogger("multilabel_attr.models")

MetricLike = Any  # keras.metrics.Metric or a metric name understood by Keras
Verbose = Literal["auto", 0, 1, 2]


def default_metrics(num_labels: int) -> list[keras.metrics.Metric]:
    """Fresh metric objects logged during training when the caller passes none.

    The paper's two training metrics and its table's averages, as exact streaming
    metrics from `multilabel_attr.keras` at threshold 0.5: label accuracy
    (the paper's "CustomAccuracy", 1 - Hamming loss), Hamming score (its
    "MultiLabelAccuracy"), and sample-averaged precision, recall and F1.

    Parameters
    ----------
    num_labels
        Number of labels (model outputs).

    Returns
    -------
    list of keras.metrics.Metric
        New, unbuilt metric objects (one list per ``compile``).

    Examples
    --------
    >>> from multilabel_attr.models import default_metrics
    >>> [m.name for m in default_metrics(40)]
    ['label_accuracy', 'hamming_score', 'precision_samples', 'recall_samples', 'f1_score_samples']
    """
    if not isinstance(num_labels, int) or isinstance(num_labels, bool) or num_labels < 1:
        raise ValueError(f"default_metrics: num_labels must be a positive int; got {num_labels!r}")
    from .. import keras as ml_keras

    return [
        ml_keras.LabelAccuracy(num_labels),
        ml_keras.HammingScore(num_labels),
        ml_keras.Precision(num_labels, average="samples"),
        ml_keras.Recall(num_labels, average="samples"),
        ml_keras.F1Score(num_labels, average="samples"),
    ]


@dataclass(frozen=True)
class TrainingResult:
    """What one training phase produced.

    Attributes
    ----------
    history
        Per-epoch logs across all runs of the phase (interrupted and resumed runs included),
        keyed like ``keras.callbacks.History.history``; a non-finite value is stored as NaN.
    epochs
        0-based epoch numbers matching each list in ``history``.
    best_epoch
        Epoch whose weights are in ``best_checkpoint`` (best ``monitor`` value, improvements
        smaller than ``min_delta`` ignored); ``None`` if no epoch reported ``monitor``.
    stopped_epoch
        Epoch at which early stopping ended training, ``None`` if it ran all epochs.
    resumed_from_epoch
        First epoch run by this call: 0 for a fresh run, more after an interruption, ``None``
        when the phase had already completed and was only reloaded from ``final_model``.
    output_dir
        Folder of the phase's files.
    best_checkpoint, final_model, history_json, history_csv
        Paths of the best-epoch model, the model at the end of the phase (best weights restored
        when the protocol says so) and the history files.
    """

    history: dict[str, list[float]]
    epochs: list[int]
    best_epoch: int | None
    stopped_epoch: int | None
    resumed_from_epoch: int | None
    output_dir: Path
    best_checkpoint: Path
    final_model: Path
    history_json: Path
    history_csv: Path


@dataclass(frozen=True)
class TransferTrainingResult:
    """Results of both phases of [`train_transfer`][multilabel_attr.models.train_transfer].

    Attributes
    ----------
    frozen
        Phase 1: head only, base frozen.
    fine_tuned
        Phase 2: base unfrozen, low learning rate.
    """

    frozen: TrainingResult
    fine_tuned: TrainingResult

    @property
    def final_model(self) -> Path:
        """Path of the model at the end of training (phase 2)."""
        return self.fine_tuned.final_model


# --------------------------------------------------------------------------- validation helpers


def _positive_int(value: Any, name: str, who: str, *, minimum: int = 1) -> int:
    return check_int(value, f"{who}: {name}", minimum=minimum)


def _positive_float(value: Any, name: str, who: str, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{who}: {name} must be a finite number {bound}; received {value!r}")
    return float(value)


def _check_model(model: Any, who: str) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise TypeError(f"{who}: model must be a keras.Model; received {type(model).__name__}")
    return model


def _check_verbose(verbose: Any, who: str) -> Verbose:
    if verbose not in ("auto", 0, 1, 2) or isinstance(verbose, bool):
        raise ValueError(f"{who}: verbose must be 'auto', 0, 1 or 2; received {verbose!r}")
    result: Verbose = verbose
    return result


def _resolve_mode(mode: str, monitor: str, who: str) -> Literal["min", "max"]:
    if mode == "auto":
        return "min" if monitor.endswith("loss") else "max"
    if mode == "min":
        return "min"
    if mode == "max":
        return "max"
    raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max'; received {mode!r}")


def _fresh_metrics(metrics: Sequence[MetricLike], who: str) -> list[MetricLike]:
    # Each compile gets its own metric objects: a phase must not inherit another's accumulated
    # state, and the caller's objects stay untouched.
    if isinstance(metrics, (str, bytes)) or not isinstance(metrics, Sequence):
        raise TypeError(
            f"{who}: metrics must be a sequence of keras.metrics.Metric objects or metric names; "
            f"received {type(metrics).__name__}"
        )
    fresh: list[MetricLike] = []
    for metric in metrics:
        if isinstance(metric, str):
            fresh.append(metric)
        elif isinstance(metric, keras.metrics.Metric):
            fresh.append(type(metric).from_config(metric.get_config()))
        else:
            raise TypeError(
                f"{who}: each metric must be a keras.metrics.Metric or a name; received "
                f"{metric!r} of type {type(metric).__name__}"
            )
    return fresh


def _result(directory: Path, progress: dict[str, Any], resumed_from: int | None) -> TrainingResult:
    records = progress["records"]
    return TrainingResult(
        history=_history_from_records(records),
        epochs=[int(r["epoch"]) for r in records],
        best_epoch=records[-1]["best_epoch"] if records else None,
        stopped_epoch=progress["stopped_epoch"],
        resumed_from_epoch=resumed_from,
        output_dir=directory,
        best_checkpoint=directory / _BEST,
        final_model=directory / _FINAL,
        history_json=directory / _HISTORY_JSON,
        history_csv=directory / _HISTORY_CSV,
    )


def _compile(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    metrics: Sequence[MetricLike],
    who: str,
    jit_compile: JitCompile,
) -> None:
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.BinaryCrossentropy(),
        metrics=_fresh_metrics(metrics, who),
        jit_compile=jit_compile,
    )


def _run_phase(
    model: keras.Model,
    train_ds: Any,
    val_ds: Any,
    *,
    who: str,
    directory: Path,
    epochs: int,
    make_optimizer: Callable[[], keras.optimizers.Optimizer],
    metrics: Sequence[MetricLike],
    monitor: str,
    mode: Literal["min", "max"],
    min_delta: float,
    patience: int | None,
    restore_best_weights: bool,
    resume: bool,
    verbose: Verbose,
    callbacks: Sequence[keras.callbacks.Callback],
    jit_compile: JitCompile = False,
) -> TrainingResult:
    if val_ds is None and monitor.startswith("val_"):
        raise ValueError(
            f"{who}: val_ds is None but the protocol monitors {monitor!r} on validation data; "
            "pass a validation dataset (or a training-set monitor such as 'loss')"
        )
    directory.mkdir(parents=True, exist_ok=True)
    config = {
        "monitor": monitor,
        "mode": mode,
        "min_delta": min_delta,
        "patience": patience,
        "restore_best_weights": restore_best_weights,
    }
    if not resume:
        _clear(directory)
    previous = _previous_run(directory, who, config)
    initial = model.get_weights()
    _compile(model, make_optimizer(), metrics, who, jit_compile)
    if previous is not None and previous.get("completed"):
        _log.info("%s already completed; loading %s", directory, directory / _FINAL)
        model.set_weights(_weights_from_file(directory / _FINAL))
        return _result(directory, previous, None)

    def new_recorder() -> _ProtocolRecorder:
        return _ProtocolRecorder(
            directory,
            config=config,
            monitor=monitor,
            mode=mode,
            min_delta=min_delta,
            patience=patience,
            restore_best_weights=restore_best_weights,
        )

    recorder, start = new_recorder(), 0
    if previous is not None:
        try:
            start = recorder.restore(model, previous)
        except CheckpointError as exc:
            _restart(who, directory, f"the checkpoint cannot be used ({exc})")
            # The failed restore may have loaded part of the state: back to the start.
            model.set_weights(initial)
            _compile(model, make_optimizer(), metrics, who, jit_compile)
            recorder = new_recorder()
    if start < epochs and recorder.stopped_epoch is None:
        # The caller's callbacks run before the recorder, so that whatever they change at an
        # epoch's end is in the state that the recorder commits.
        model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            initial_epoch=start,
            callbacks=[*callbacks, recorder],
            verbose=verbose,
            # A tf.data pipeline does its own shuffling; Keras only warns that it ignores it.
            shuffle=not isinstance(train_ds, tf.data.Dataset),
        )
    recorder.set_model(model)
    recorder.finish()
    progress, _ = _read_progress(directory)
    if progress is None:  # pragma: no cover - finish() has just written it
        raise RuntimeError(f"{who}: training wrote no progress to {str(directory)!r}")
    return _result(directory, progress, recorder.resumed_from_epoch)


def _common_checks(
    who: str,
    model: Any,
    output_dir: Any,
    metrics: Sequence[MetricLike] | None,
    verbose: Any,
    callbacks: Sequence[keras.callbacks.Callback] | None,
) -> tuple[keras.Model, Path, Sequence[MetricLike], Verbose, list[keras.callbacks.Callback]]:
    model = _check_model(model, who)
    if not isinstance(output_dir, (str, Path)) and not hasattr(output_dir, "__fspath__"):
        raise TypeError(f"{who}: output_dir must be a path; received {type(output_dir).__name__}")
    directory = Path(output_dir)
    if metrics is None:
        num_labels = int(model.output_shape[-1])
        metrics = default_metrics(num_labels)
    _fresh_metrics(metrics, who)  # fail on a bad metric before any file is touched
    extra = list(callbacks or [])
    for callback in extra:
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(
                f"{who}: callbacks must be keras.callbacks.Callback objects; received "
                f"{type(callback).__name__}"
            )
    return model, directory, metrics, _check_verbose(verbose, who), extra


def train_cnn(
    model: keras.Model,
    train_ds: Any,
    val_ds: Any,
    *,
    epochs: int,
    output_dir: str | Path,
    metrics: Sequence[MetricLike] | None = None,
    learning_rate: float = 1e-3,
    min_delta: float = 0.01,
    patience: int = 5,
    monitor: str = "val_loss",
    mode: Literal["auto", "min", "max"] = "auto",
    resume: bool = True,
    verbose: Verbose = "auto",
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    precision: Precision | None = None,
    jit_compile: JitCompile = False,
    strategy: Any = None,
) -> TrainingResult:
    """Train a model with the paper's CNN protocol.

    Adam (default learning rate 1e-3), binary cross-entropy, and early stopping on the
    validation loss with ``min_delta=0.01``, ``patience=5`` and the best weights restored at the
    end, exactly as ``keras.callbacks.EarlyStopping`` would do. The model is compiled here.

    Everything is written to ``output_dir``: ``best.keras`` (the best epoch so far, updated as
    training goes), ``final.keras`` (the trained model, best weights restored),
    ``history.json`` and ``history.csv`` (per-epoch logs, rewritten after every epoch), and
    ``progress.json`` plus a ``backup/`` folder (model and optimizer state of the last completed
    epoch, with the best weights) that make an interrupted run resumable: call again with the
    same arguments and training continues at the first unfinished epoch with the optimizer,
    early-stopping counter and best weights as they were. All files are written atomically and
    checkpoints are checked (size and sha256) before use, so a run killed at any moment resumes;
    a checkpoint damaged by other means restarts the phase with a `RuntimeWarning`. A completed
    run is not retrained; its final model is loaded into ``model`` instead (pass
    ``resume=False`` to retrain from scratch).

    Parameters
    ----------
    model
        The model to train, e.g. from [`build_paper_cnn`][multilabel_attr.models.build_paper_cnn];
        trained in place.
    train_ds, val_ds
        Training and validation data accepted by ``keras.Model.fit`` (typically batched
        ``tf.data.Dataset`` of ``(images, labels)``).
    epochs
        Maximum number of epochs.
    output_dir
        Folder for checkpoints, history and the resume state (created if needed).
    metrics
        Keras metrics to log; ``None`` uses
        [`default_metrics`][multilabel_attr.models.default_metrics]. Objects are copied for each
        compile, so the caller's instances are never updated.
    learning_rate
        Adam learning rate.
    min_delta, patience, monitor, mode
        Early-stopping settings (``mode='auto'``: minimise names ending in ``loss``, maximise
        others).
    resume
        Continue an interrupted run found in ``output_dir`` (default); ``False`` discards it.
    verbose
        Keras progress display: ``'auto'``, 0 (silent), 1 (progress bar) or 2 (one line per
        epoch).
    callbacks
        Extra Keras callbacks.
    precision, jit_compile, strategy
        How fast a step runs, not what it computes (see the models guide): the Keras dtype
        policy used while training (``None``: the model's own; ``"mixed_float16"`` or
        ``"mixed_bfloat16"`` switch the model in place for the duration, output layer kept
        float32, and restore it and the global policy afterwards), XLA compilation of the step,
        and the ``tf.distribute`` strategy (``None``: the one the model was built under; or a
        strategy object, in whose ``scope()`` the model must have been built). The defaults
        suit a CPU.

    Returns
    -------
    TrainingResult
        History and file paths.

    Raises
    ------
    TypeError
        If ``model``, ``output_dir``, ``metrics`` or ``callbacks`` have the wrong type.
    ValueError
        If a numeric setting or an acceleration option is out of range, the model was not built
        under ``strategy``, or ``output_dir`` holds a run with different early-stopping settings.
    """
    who = "train_cnn"
    model, directory, metrics, verbose, extra = _common_checks(
        who, model, output_dir, metrics, verbose, callbacks
    )
    _positive_int(epochs, "epochs", who)
    _positive_int(patience, "patience", who, minimum=0)
    lr = _positive_float(learning_rate, "learning_rate", who)
    delta = _positive_float(min_delta, "min_delta", who, allow_zero=True)
    accel = Acceleration.from_args(model, precision, jit_compile, strategy, who)

    with accel.applied(model):
        return _run_phase(
            model,
            train_ds,
            val_ds,
            who=who,
            directory=directory,
            epochs=epochs,
            make_optimizer=lambda: keras.optimizers.Adam(learning_rate=lr),
            metrics=metrics,
            monitor=monitor,
            mode=_resolve_mode(mode, monitor, who),
            min_delta=delta,
            patience=patience,
            restore_best_weights=True,
            resume=bool(resume),
            verbose=verbose,
            callbacks=extra,
            jit_compile=accel.jit_compile,
        )


def train_transfer(
    model: keras.Model,
    train_ds: Any,
    val_ds: Any,
    *,
    output_dir: str | Path,
    epochs_frozen: int = 20,
    epochs_fine_tune: int = 10,
    metrics: Sequence[MetricLike] | None = None,
    learning_rate: float = 1e-3,
    fine_tune_learning_rate: float = 1e-5,
    patience: int = 10,
    fine_tune_from: str | int | None = None,
    monitor: str = "val_loss",
    mode: Literal["auto", "min", "max"] = "auto",
    resume: bool = True,
    verbose: Verbose = "auto",
    callbacks: Sequence[keras.callbacks.Callback] | None = None,
    precision: Precision | None = None,
    jit_compile: JitCompile = False,
    strategy: Any = None,
) -> TransferTrainingResult:
    """Train a transfer model with the paper's two-phase protocol.

    Phase 1 (``output_dir/frozen``): base frozen, Adam(``learning_rate``), binary
    cross-entropy, ``epochs_frozen`` epochs, no early stopping. Phase 2
    (``output_dir/fine_tune``): base unfrozen (from ``fine_tune_from`` on, if given), model
    recompiled with Adam(``fine_tune_learning_rate``), up to ``epochs_fine_tune`` epochs with
    ``EarlyStopping(patience=patience, restore_best_weights=True)``.

    Each phase folder holds the same files as [`train_cnn`][multilabel_attr.models.train_cnn]'s
    ``output_dir`` (``best.keras`` for phase 1 is the epoch with the best ``monitor``, kept for
    inspection; phase 1 keeps its last weights, as in the paper). Both phases resume after an
    interruption; a completed phase is reloaded rather than retrained.

    Parameters
    ----------
    model
        A model from [`build_xception_transfer`][multilabel_attr.models.build_xception_transfer] (or
        any model with one nested base model), trained in place.
    train_ds, val_ds
        Training and validation data accepted by ``keras.Model.fit``.
    output_dir
        Folder for both phases (created if needed).
    epochs_frozen, epochs_fine_tune
        Epochs of phase 1 and maximum epochs of phase 2.
    metrics
        Keras metrics to log; ``None`` uses
        [`default_metrics`][multilabel_attr.models.default_metrics].
    learning_rate, fine_tune_learning_rate
        Adam learning rates of the two phases.
    patience
        Early-stopping patience of phase 2.
    fine_tune_from
        Layer of the base (name or index) from which phase 2 unfreezes; ``None`` unfreezes the
        whole base, as the paper did.
    monitor, mode
        Quantity watched for the best checkpoints and early stopping.
    resume
        Continue interrupted phases found in ``output_dir`` (default); ``False`` discards them.
    verbose
        Keras progress display: ``'auto'``, 0, 1 or 2.
    callbacks
        Extra Keras callbacks, used in both phases.
    precision, jit_compile, strategy
        As in [`train_cnn`][multilabel_attr.models.train_cnn], for both phases.

    Returns
    -------
    TransferTrainingResult
        One [`TrainingResult`][multilabel_attr.models.TrainingResult] per phase.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If a numeric setting or an acceleration option is out of range, the base cannot be
        found, the model was not built under ``strategy``, or a phase folder holds a run with
        different settings.
    """
    who = "train_transfer"
    model, directory, metrics, verbose, extra = _common_checks(
        who, model, output_dir, metrics, verbose, callbacks
    )
    _positive_int(epochs_frozen, "epochs_frozen", who)
    _positive_int(epochs_fine_tune, "epochs_fine_tune", who)
    _positive_int(patience, "patience", who, minimum=0)
    lr = _positive_float(learning_rate, "learning_rate", who)
    fine_lr = _positive_float(fine_tune_learning_rate, "fine_tune_learning_rate", who)
    resolved_mode = _resolve_mode(mode, monitor, who)
    accel = Acceleration.from_args(model, precision, jit_compile, strategy, who)

    def phase(name: str, epochs: int, rate: float, stop_after: int | None) -> TrainingResult:
        # Phase 1 runs all its epochs and keeps its last weights; phase 2 stops early and
        # restores its best ones.
        with accel.applied(model):
            return _run_phase(
                model,
                train_ds,
                val_ds,
                who=who,
                directory=directory / name,
                epochs=epochs,
                make_optimizer=lambda: keras.optimizers.Adam(learning_rate=rate),
                metrics=metrics,
                monitor=monitor,
                mode=resolved_mode,
                min_delta=0.0,
                patience=stop_after,
                restore_best_weights=stop_after is not None,
                resume=bool(resume),
                verbose=verbose,
                callbacks=extra,
                jit_compile=accel.jit_compile,
            )

    set_base_trainable(model, False)
    frozen = phase("frozen", epochs_frozen, lr, None)
    set_base_trainable(model, True, from_layer=fine_tune_from)
    fine_tuned = phase("fine_tune", epochs_fine_tune, fine_lr, patience)
    return TransferTrainingResult(frozen=frozen, fine_tuned=fine_tuned)
