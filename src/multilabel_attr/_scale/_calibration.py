"""Calibration over partitions: the metrics' state in one pass, calibrators by Newton passes.

* **Metrics.** Every partition fills a
  [`CalibrationState`][multilabel_attr.CalibrationState]; the states merge by
  adding their sums, so every metric equals the in-memory state's on the same rows.
* **Platt and temperature scaling.** Each Newton pass is one job: every partition
  returns the log loss, gradient and Hessian of its rows at the current parameters
  (the sums of [`fit_calibrator`][multilabel_attr.calibration.fit_calibrator]), the
  sums are added, and the driver takes the Newton step.  The fit is the in-memory one
  to rounding.  Isotonic regression needs every score sorted together, and is not
  offered at scale.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..calibration._internal import (
    Calibrator,
    NewtonSums,
    calibrator_from_params,
    logit_feature,
    newton_fit,
    newton_start,
    newton_sums,
    refuse_one_class,
)
from ..core import CalibrationState
from ..core._internal import check_calibration_batch, check_label_names
from ._columns import Block, ColumnError, ColumnSpec, block_from_arrow
from ._partition import describe_failure, rebatch

FloatArray = NDArray[np.float64]


def _blocks(batches: Iterable[Any], spec: ColumnSpec, n_labels: int | None, where: str) -> Any:
    for item in rebatch(batches):
        block = item if isinstance(item, Block) else block_from_arrow(item, spec, n_labels, where)
        if block.n_rows:
            yield block


def _failure(exc: Exception, block: Block, spec: ColumnSpec, from_logits: bool) -> ColumnError:
    probabilities = "probabilities" in str(exc) and not from_logits
    hint = " (pass from_logits=True for logits or margins)" if probabilities else ""
    return describe_failure(exc, block, spec, 0.5, from_logits, hint)


@dataclass(frozen=True)
class CalibrationPass:
    """One partition's calibration state, as JSON bytes (``b"{}"`` without rows)."""

    spec: ColumnSpec
    n_labels: int | None
    n_bins: int
    from_logits: bool
    sketch_bins: int | None

    def __call__(self, batches: Iterable[Any], where: str, first_row: int = 0) -> bytes:
        state: CalibrationState | None = None
        for block in _blocks(batches, self.spec, self.n_labels, where):
            if state is None:
                state = CalibrationState._checked(
                    block.truth.shape[1], n_bins=self.n_bins, from_logits=self.from_logits,
                    sketch_bins=self.sketch_bins,
                )  # fmt: skip
            try:
                state.update(block.truth, block.scores, sample_weight=block.weight)
            except (ValueError, TypeError) as exc:
                raise _failure(exc, block, self.spec, self.from_logits) from exc
        return json.dumps({} if state is None else state.to_dict()).encode()


def merge_state_payloads(*payloads: bytes) -> bytes:
    """Merge partition states (empty partitions carry none)."""
    states = [json.loads(p) for p in payloads]
    merged: CalibrationState | None = None
    for data in states:
        if data:
            state = CalibrationState.from_dict(data)
            merged = state if merged is None else merged + state
    return json.dumps({} if merged is None else merged.to_dict()).encode()


def _pack(**arrays: Any) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _unpack(payload: bytes) -> dict[str, Any]:
    with np.load(io.BytesIO(payload), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


@dataclass(frozen=True)
class NewtonPass:
    """One partition's Newton sums at ``params``, with its rows, positives and weight."""

    spec: ColumnSpec
    n_labels: int | None
    params: FloatArray
    from_logits: bool

    def __call__(self, batches: Iterable[Any], where: str, first_row: int = 0) -> bytes:
        total: NewtonSums | None = None
        positives: Any = 0.0
        weight, rows = 0.0, 0
        for block in _blocks(batches, self.spec, self.n_labels, where):
            try:
                batch = check_calibration_batch(
                    block.truth, block.scores, block.weight, from_logits=self.from_logits,
                    n_labels=self.n_labels,
                )  # fmt: skip
            except (ValueError, TypeError) as exc:
                raise _failure(exc, block, self.spec, self.from_logits) from exc
            z = batch.scores.astype(np.float64) if self.from_logits else logit_feature(batch.probs)
            sums = newton_sums(batch.truth, z, batch.weights, self.params)
            total = sums if total is None else total + sums
            w = np.ones(block.n_rows) if batch.weights is None else batch.weights
            positives = positives + w @ batch.truth
            weight, rows = weight + float(w.sum()), rows + block.n_rows
        if total is None:
            return _pack(rows=np.array(0))
        return _pack(
            rows=np.array(rows), weight=np.array(weight), positives=positives, loss=total.loss,
            gradient=total.gradient, hessian=total.hessian,
        )  # fmt: skip


def merge_newton_payloads(*payloads: bytes) -> bytes:
    """Add the partitions' Newton sums (empty partitions carry none)."""
    parts = [_unpack(p) for p in payloads]
    filled = [p for p in parts if int(p["rows"])]
    if not filled:
        return _pack(rows=np.array(0))
    return _pack(**{name: sum(p[name] for p in filled) for name in filled[0]})


def calibration_state(
    engine: Any,
    spec: ColumnSpec,
    *,
    n_bins: int,
    from_logits: bool,
    sketch_bins: int | None,
    label_names: Sequence[str] | None,
) -> CalibrationState:
    """The merged [`CalibrationState`][multilabel_attr.CalibrationState] of every partition
    (the options checked at the public door)."""
    spec.check_present(list(engine.columns()), engine.describe())
    task = CalibrationPass(spec, spec.n_labels, n_bins, from_logits, sketch_bins)
    data = json.loads(engine.run(task, merge=merge_state_payloads))
    if not data:
        raise ColumnError(f"{engine.describe()} has no rows; nothing to measure")
    state = CalibrationState.from_dict(data)
    names = label_names or spec.label_names
    state.label_names = check_label_names(names, state.n_labels)
    return state


def fit_calibrator(
    engine: Any,
    spec: ColumnSpec,
    *,
    method: str,
    shared: bool,
    from_logits: bool,
    label_names: Sequence[str] | None,
    max_iter: int,
) -> Calibrator:
    """Platt or temperature scaling with one job per Newton pass (see the module; the options
    checked at the public door)."""
    spec.check_present(list(engine.columns()), engine.describe())
    seen: dict[bytes, dict[str, Any]] = {}

    def run(params: FloatArray) -> dict[str, Any]:
        key = params.tobytes() + bytes(params.shape)
        if key not in seen:
            task = NewtonPass(spec, spec.n_labels, params, from_logits)
            seen.clear()
            seen[key] = _unpack(engine.run(task, merge=merge_newton_payloads))
        return seen[key]

    # The first pass, at the identity map broadcast to every label, also tells the labels.
    first = run(newton_start(method, False, 1))
    if not int(first["rows"]):
        raise ColumnError(f"{engine.describe()} has no rows; nothing to fit")
    n_labels = int(first["positives"].shape[0])
    names = check_label_names(label_names or spec.label_names, n_labels)
    refuse_one_class(first["positives"], float(first["weight"]), names, method)

    def sums_at(params: FloatArray) -> NewtonSums:
        if np.all(params == params[:1]):
            params = params[:1]  # the same for every label: the pass already run, if any
        sums = run(params)
        return NewtonSums(sums["loss"], sums["gradient"], sums["hessian"])

    start = newton_start(method, shared, n_labels)
    params, passes = newton_fit(sums_at, start, n_labels=n_labels, shared=shared,
                                max_iter=max_iter)  # fmt: skip
    return calibrator_from_params(
        method, params, shared=shared, n_labels=n_labels, label_names=names,
        from_logits=from_logits, n_samples=int(first["rows"]), iterations=passes,
    )  # fmt: skip
