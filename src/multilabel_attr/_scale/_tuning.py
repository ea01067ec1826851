"""Exact threshold search over partitions: the single-machine answer in three passes.

1. **Sketch.** Every partition fills a [`ScoreSketch`][multilabel_attr.ScoreSketch]
   (per label and bin, weighted positives and negatives, smallest and largest
   score); the merged sketch gives the exact counts of every cut at a bin edge.
   For a metric that never decreases with ``tp`` nor increases with ``fp``, a
   bin whose upper bound (all of its positives, none of its negatives) cannot
   beat, or tie from above, the best edge cut cannot hold the optimum.
2. **Fetch.** Only the rows inside the remaining bins travel to the driver
   (score, truth and weight, per label), and the single-machine sweep
   (``thresholds._sweep``: cumulative counts, tie-group candidates, the highest
   of equal cuts, the midpoint rule) runs on each bin with the counts above the
   bin as offsets.  Every cut of the full data is either an edge cut or a cut
   inside a fetched bin, so the best cut is the single-machine one.
3. **Count.** One counting pass at the chosen thresholds gives the per-label
   values and the objective recorded in [`Thresholds`][multilabel_attr.thresholds.Thresholds].

The pooled (``shared``) search is the same on the sketch summed over labels.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import (
    ScoreSketch,
    bin_index,
    candidate_mask,
    check_label_names,
    check_sample_weight,
    count_batch,
    curve,
    is_monotone,
)
from ..thresholds._internal import (
    Objective,
    Settings,
    Thresholds,
    best_cut,
    cut_threshold,
    fallback_rule,
    objective_from_counts,
    prepare,
    resolve_settings,
    search_clip,
    warn_fallback,
)
from ._columns import Block, ColumnError, ColumnSpec, block_from_arrow
from ._fingerprint import Fingerprint, block_fingerprint, check_unchanged
from ._partition import add_to_sketch, describe_failure, rebatch

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DEFAULT_TUNING_BINS = 2048


def _pack(**arrays: Any) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _unpack(payload: bytes) -> dict[str, Any]:
    with np.load(io.BytesIO(payload), allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _merge_fingerprints(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The summed fingerprint of unpacked states (every pass takes one)."""
    total = Fingerprint()
    for part in parts:
        total = total + Fingerprint.from_arrays(part)
    return total.arrays()


@dataclass(frozen=True)
class _Pass:
    """Shared by the three passes: turn a partition's batches into validated arrays."""

    spec: ColumnSpec
    n_labels: int | None

    def blocks(self, batches: Iterable[Any], where: str) -> Iterable[Block]:
        for item in rebatch(batches):
            block = (
                item if isinstance(item, Block)
                else block_from_arrow(item, self.spec, self.n_labels, where)
            )  # fmt: skip
            if block.n_rows == 0:
                continue
            try:
                # Weights are checked on their own: a partition may carry no weight at all.
                data = prepare(block.truth, block.scores, None, None)
                weight = check_sample_weight(block.weight, block.n_rows)
            except (ValueError, TypeError) as exc:
                raise describe_failure(exc, block, self.spec, None, True) from exc
            yield Block(data.truth, data.scores, weight, None, where)


@dataclass(frozen=True)
class SketchPass(_Pass):
    """Pass 1: the partition's sketch and its positive counts."""

    n_bins: int = DEFAULT_TUNING_BINS
    from_logits: bool = False

    def __call__(self, batches: Iterable[Any], where: str, first_row: int = 0) -> bytes:
        sketch: ScoreSketch | None = None
        positives = weighted_positives = None
        seen = Fingerprint()
        for block in self.blocks(batches, where):
            seen = seen + block_fingerprint(block)
            n_labels = block.truth.shape[1]
            if sketch is None:
                sketch = ScoreSketch._empty(n_labels, self.n_bins, self.from_logits)
                positives = np.zeros(n_labels, np.int64)
                weighted_positives = np.zeros(n_labels, np.int64)
            if n_labels != sketch.n_labels:
                raise ColumnError(f"rows hold {n_labels} labels in {where}; expected "
                                  f"{sketch.n_labels}")  # fmt: skip
            try:
                add_to_sketch(sketch, block, self.from_logits)
            except ValueError as exc:
                hint = "" if self.from_logits else " (pass from_logits=True for logits or margins)"
                raise describe_failure(exc, block, self.spec, 0.5, self.from_logits, hint) from exc
            positives += np.count_nonzero(block.truth, axis=0)
            kept = block.truth
            if block.weight is not None:
                kept = kept & (block.weight > 0)[:, None]
            weighted_positives += np.count_nonzero(kept, axis=0)
        if sketch is None:
            return _pack(where=np.array(where))
        return _pack(
            where=np.array(where), pos=sketch.pos, neg=sketch.neg, lo=sketch.lo, hi=sketch.hi,
            n_samples=np.array(sketch.n_samples), positives=positives,
            weighted_positives=weighted_positives, **seen.arrays(),
        )  # fmt: skip


def merge_sketch_payloads(*payloads: bytes) -> bytes:
    """Sum pass-1 states (bins, ranges and positive counts)."""
    merged: dict[str, Any] | None = None
    parts = [_unpack(payload) for payload in payloads]
    for part in parts:
        if "pos" not in part:
            continue
        if merged is None:
            merged = part
            continue
        if part["pos"].shape != merged["pos"].shape:
            raise ColumnError(
                f"rows hold {merged['pos'].shape[0]} labels in {merged['where']} but "
                f"{part['pos'].shape[0]} in {part['where']}"
            )
        for name in ("pos", "neg", "n_samples", "positives", "weighted_positives"):
            merged[name] = merged[name] + part[name]
        merged["lo"] = np.minimum(merged["lo"], part["lo"])
        merged["hi"] = np.maximum(merged["hi"], part["hi"])
    return _pack(**{**(merged or {"where": np.array("")}), **_merge_fingerprints(parts)})


@dataclass(frozen=True)
class FetchPass(_Pass):
    """Pass 2: the rows inside the candidate bins, per label and pooled."""

    n_bins: int = DEFAULT_TUNING_BINS
    from_logits: bool = False
    per_label: BoolArray | None = None
    pooled: BoolArray | None = None

    def __call__(self, batches: Iterable[Any], where: str, first_row: int = 0) -> bytes:
        parts: dict[str, list[Any]] = {}
        seen = Fingerprint()
        for block in self.blocks(batches, where):
            seen = seen + block_fingerprint(block)
            bins = bin_index(block.scores, self.n_bins, self.from_logits)
            weight = np.ones(block.n_rows) if block.weight is None else block.weight
            for name, mask in (("label", self.per_label), ("pooled", self.pooled)):
                if mask is None:
                    continue
                table = np.broadcast_to(mask, (bins.shape[1], mask.shape[1]))
                rows, labels = np.nonzero(table[np.arange(bins.shape[1])[None, :], bins])
                parts.setdefault(f"{name}_label", []).append(labels)
                parts.setdefault(f"{name}_bin", []).append(bins[rows, labels])
                parts.setdefault(f"{name}_score", []).append(
                    block.scores[rows, labels].astype(np.float64)
                )
                parts.setdefault(f"{name}_truth", []).append(block.truth[rows, labels])
                parts.setdefault(f"{name}_weight", []).append(weight[rows])
        fetched = {key: np.concatenate(values) for key, values in parts.items()}
        return _pack(**fetched, **seen.arrays())


def merge_fetch_payloads(*payloads: bytes) -> bytes:
    unpacked = [_unpack(payload) for payload in payloads]
    parts: dict[str, list[Any]] = {}
    for part in unpacked:
        for key, value in part.items():
            if not key.startswith("fp_"):
                parts.setdefault(key, []).append(value)
    fetched = {key: np.concatenate(values) for key, values in parts.items()}
    return _pack(**fetched, **_merge_fingerprints(unpacked))


@dataclass(frozen=True)
class CountPass(_Pass):
    """Pass 3: per-label counts at the chosen thresholds."""

    values: FloatArray | None = None

    def __call__(self, batches: Iterable[Any], where: str, first_row: int = 0) -> bytes:
        assert self.values is not None
        total = np.zeros((4, self.values.shape[0]))
        seen = Fingerprint()
        for block in self.blocks(batches, where):
            seen = seen + block_fingerprint(block)
            counts = count_batch(
                block.truth, block.scores >= self.values, threshold=None, from_logits=False,
                sample_weight=block.weight,
            )  # fmt: skip
            total += np.stack((counts.tp, counts.fp, counts.fn, counts.tn))
        return _pack(counts=total, **seen.arrays())


def merge_count_payloads(*payloads: bytes) -> bytes:
    parts = [_unpack(p) for p in payloads]
    return _pack(counts=sum(part["counts"] for part in parts), **_merge_fingerprints(parts))


@dataclass(frozen=True)
class _Groups:
    """Sketch arrays of the groups searched: one per label, or one pooled group."""

    pos: FloatArray
    neg: FloatArray
    lo: FloatArray
    hi: FloatArray
    n_bins: int
    clip: tuple[float, float] | None = None

    def edge_counts(self) -> tuple[FloatArray, FloatArray]:
        """Weighted positives and negatives at or above every edge, shape (groups, bins + 1)."""
        sketch = ScoreSketch._empty(self.pos.shape[0], self.n_bins, False)
        sketch.pos, sketch.neg = self.pos, self.neg
        counts = sketch.counts_at_edges()
        return counts.tp, counts.fp

    def edge_valid(self) -> BoolArray:
        """The edge cuts a threshold in the searched range can produce, shape (groups, bins + 1).

        The cut at edge ``k`` separates the largest score below the edge from the smallest
        at or above it; the single-machine rule decides on that pair of scores.
        """
        n_groups = self.lo.shape[0]
        below = np.maximum.accumulate(
            np.concatenate([np.full((n_groups, 1), -np.inf), self.hi], axis=1), axis=1
        )
        above = np.minimum.accumulate(
            np.concatenate([self.lo, np.full((n_groups, 1), np.inf)], axis=1)[:, ::-1], axis=1
        )[:, ::-1]
        valid: BoolArray = candidate_mask(np.stack([below, above], axis=-1), self.clip)[..., 1]
        return valid

    def candidates(self, objective: Objective) -> BoolArray:
        """Bins whose inside cuts could beat, or tie from above, the best edge cut."""
        tp, fp = self.edge_counts()
        pos, neg = tp[:, :1], fp[:, :1]
        values = np.where(self.edge_valid(), objective(tp, fp, pos - tp, neg - fp), -np.inf)
        best = values.max(axis=1, keepdims=True)
        top_edge = values.shape[1] - 1 - np.argmax(values[:, ::-1] == best, axis=1)
        splittable: BoolArray = self.lo < self.hi
        if objective.formula is None or not is_monotone(objective.formula):
            return splittable
        upper = objective(tp[:, :-1], fp[:, 1:], pos - tp[:, :-1], neg - fp[:, 1:])
        above = np.arange(self.n_bins)[None, :] >= top_edge[:, None]
        result: BoolArray = splittable & ((upper > best) | ((upper == best) & above))
        return result


def _search_group(
    groups: _Groups,
    g: int,
    tp_edges: FloatArray,
    fp_edges: FloatArray,
    edge_valid: BoolArray,
    objective: Objective,
    fetched: dict[str, Any],
) -> tuple[float, float]:
    """The single-machine best cut of group ``g``: its threshold and metric value."""
    pos, neg = tp_edges[g, 0], fp_edges[g, 0]
    edge_values = objective(tp_edges[g], fp_edges[g], pos - tp_edges[g], neg - fp_edges[g])
    edge = best_cut(edge_values, edge_valid[g])
    best, key = float(edge_values[edge]), (edge, 0)
    sorted_bins: dict[int, FloatArray] = {}
    for b in np.unique(fetched["bin"]).tolist():
        inside = fetched["bin"] == b
        order = np.argsort(fetched["score"][inside], kind="stable")
        scores = fetched["score"][inside][order]
        truth = fetched["truth"][inside][order]
        weight = fetched["weight"][inside][order]
        sorted_bins[b] = scores
        cut_counts = curve(truth, weight)
        tp = tp_edges[g, b + 1] + cut_counts.tp
        fp = fp_edges[g, b + 1] + cut_counts.fp
        values = objective(tp, fp, pos - tp, neg - fp)
        valid = candidate_mask(scores, groups.clip)
        valid[0] = valid[-1] = False  # the bin's edge cuts, counted from the sketch
        if not valid.any():
            continue
        cut = best_cut(values, valid)
        top = float(values[cut])
        if top > best or (top == best and (b, cut) > key):
            best, key = top, (b, cut)
    return _threshold(groups, g, key, sorted_bins), best


def _threshold(
    groups: _Groups, g: int, key: tuple[int, int], sorted_bins: dict[int, FloatArray]
) -> float:
    """The sweep's midpoint rule for the cut ``key`` (bin and position inside it)."""
    present = np.flatnonzero(groups.lo[g] <= groups.hi[g])
    low, high = float(groups.lo[g, present[0]]), float(groups.hi[g, present[-1]])
    b, cut = key
    if cut > 0:
        below, above = float(sorted_bins[b][cut - 1]), float(sorted_bins[b][cut])
    else:
        lower = present[present < b]
        upper = present[present >= b]
        if lower.size == 0:
            return cut_threshold(np.array([low, high]), 0, groups.clip)
        if upper.size == 0:
            return cut_threshold(np.array([low, high]), 2, groups.clip)
        below, above = float(groups.hi[g, lower[-1]]), float(groups.lo[g, upper[0]])
    return cut_threshold(np.array([low, below, above, high]), 2, groups.clip)


def search(
    groups: _Groups, objective: Objective, fetched: dict[str, Any], prefix: str
) -> tuple[FloatArray, FloatArray]:
    """Thresholds and values of every group from the sketch and the fetched bins."""
    tp_edges, fp_edges = groups.edge_counts()
    edge_valid = groups.edge_valid()
    n_groups = groups.pos.shape[0]
    thresholds, values = np.empty(n_groups), np.empty(n_groups)
    labels = fetched.get(f"{prefix}_label", np.zeros(0, np.int64))
    for g in range(n_groups):
        mine = labels == g if prefix == "label" else slice(None)
        rows = {
            name: fetched[f"{prefix}_{name}"][mine] if f"{prefix}_{name}" in fetched
            else np.zeros(0)
            for name in ("bin", "score", "truth", "weight")
        }  # fmt: skip
        rows["truth"] = rows["truth"].astype(bool)
        rows["bin"] = rows["bin"].astype(np.int64)
        thresholds[g], values[g] = _search_group(
            groups, g, tp_edges, fp_edges, edge_valid, objective, rows
        )
    return thresholds, values


def _ran(value: float | None) -> float:
    """A search's result that ran (the pooled search runs when the fallback needs it)."""
    assert value is not None
    return value


def optimize_thresholds(
    engine: Any, spec: ColumnSpec, settings: Settings, label_names: Any, n_bins: int
) -> Thresholds:
    """The single-machine [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds]
    result, from three passes over the engine's partitions."""
    if settings.objective.constraint is not None:
        # Operating-point rules choose their cut by the core's selection, not by one value.
        from ._operating_points import tune_constrained

        return tune_constrained(engine, spec, settings, label_names, n_bins)
    spec.check_present(list(engine.columns()), engine.describe())
    width, logits = spec.n_labels, settings.from_logits
    state = _unpack(
        engine.run(SketchPass(spec, width, n_bins, logits), merge=merge_sketch_payloads)
    )
    if "pos" not in state:
        raise ColumnError(f"{engine.describe()} has no rows; nothing to tune")
    n_labels = int(state["pos"].shape[0])
    if not (state["pos"].sum() + state["neg"].sum()) > 0:
        raise ValueError("sample_weight must have a positive sum; got all-zero weights")
    names = check_label_names(label_names if label_names is not None else spec.label_names,
                              n_labels)  # fmt: skip
    objective = settings.objective
    clip = search_clip(settings, float(state["lo"].min()), float(state["hi"].max()))
    labels = _Groups(state["pos"], state["neg"], state["lo"], state["hi"], n_bins, clip)
    pooled = _Groups(
        state["pos"].sum(0, keepdims=True), state["neg"].sum(0, keepdims=True),
        state["lo"].min(0, keepdims=True), state["hi"].max(0, keepdims=True), n_bins, clip,
    )  # fmt: skip
    fixed = np.zeros(n_labels, bool)
    if settings.strategy == "per_label" and settings.min_positives:
        fixed = state["weighted_positives"] < settings.min_positives
    use_pooled = settings.strategy == "shared" or (fixed.any() and settings.fallback == "shared")
    per_label_bins = None
    if settings.strategy == "per_label":
        per_label_bins = labels.candidates(objective)
        per_label_bins[fixed] = False
    fetch = FetchPass(
        spec, width, n_bins, logits, per_label_bins,
        pooled.candidates(objective) if use_pooled else None,
    )  # fmt: skip
    fetched = _unpack(engine.run(fetch, merge=merge_fetch_payloads))
    first = Fingerprint.from_arrays(state)
    work = "the threshold search"
    check_unchanged(first, Fingerprint.from_arrays(fetched), engine.describe(), work)
    shared = float(search(pooled, objective, fetched, "pooled")[0][0]) if use_pooled else None
    if settings.strategy == "shared":
        assert shared is not None
        values = np.full(n_labels, shared)
    else:
        values = search(labels, objective, fetched, "label")[0]
        if fixed.any():
            fallback, rule = fallback_rule(settings.fallback, clip, partial(_ran, shared))
            values[fixed] = fallback
            warn_fallback(fixed, state["positives"][fixed].tolist(), settings.min_positives,
                          rule, names)  # fmt: skip
    counted = _unpack(engine.run(CountPass(spec, width, values), merge=merge_count_payloads))
    check_unchanged(first, Fingerprint.from_arrays(counted), engine.describe(), work)
    objective_value, per_label = objective_from_counts(
        objective, settings.average, *counted["counts"]
    )
    extra = {"fallback_labels": np.flatnonzero(fixed).tolist()}
    if settings.strategy == "shared":
        extra = {}
    return Thresholds(
        values, validation_scores=per_label, objective=objective_value, label_names=names,
        metric=objective.name, strategy=settings.strategy, average=settings.average,
        from_logits=settings.from_logits, n_samples=int(state["n_samples"]), **extra,
    )  # fmt: skip


def check_tuning(
    *,
    metric: Any,
    strategy: Any,
    average: Any,
    beta: Any,
    from_logits: Any,
    min_positives: Any,
    fallback: Any,
    zero_division: Any,
) -> Settings:
    """The search options, validated like the single-machine search's before any data is
    read (``n_bins`` is checked at the door by the option table)."""
    settings = resolve_settings(
        metric=metric, strategy=strategy, average=average, beta=beta, from_logits=from_logits,
        min_positives=min_positives, fallback=fallback, zero_division=zero_division,
    )  # fmt: skip
    if settings.strategy not in ("per_label", "shared"):
        raise ValueError(
            f"strategy must be 'per_label' or 'shared' at scale; got {settings.strategy!r}"
        )
    if settings.clip is not None:
        raise ValueError("clip is not supported at scale; pass clip=None")
    return settings
