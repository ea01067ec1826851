"""Exact operating points over partitions, through the threshold search's passes.

1. **Sketch** (``_tuning.SketchPass``): the merged sketch gives the exact counts of every
   cut at a bin edge, and each bin's smallest score.
2. **Fetch** (``_tuning.FetchPass``): the rows of the bins that may hold a better cut than
   the best edge cut travel to the driver. Precision, recall and specificity never
   decrease with ``tp`` nor increase with ``fp``, so a cut inside bin ``b`` is at best as
   good as the corner ``(tp[b], fp[b + 1])`` (all of the bin's positives, none of its
   negatives): a bin whose corner misses the constraint, or whose corner value is below
   the best edge value, cannot hold the answer. For the equal error rate, the smallest
   ``|fpr - fnr|`` over the bin's box of rates is compared with the best edge's.
3. The edge cuts and the fetched bins' cuts, in threshold order, go through the core's
   selection (``select_cuts``), so every rule, tie and threshold is the in-memory one.

No counting pass is needed: the counts of the chosen cut are exact already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import (
    Constraint,
    OperatingPoints,
    candidate_mask,
    check_constraints,
    check_label_names,
    curve,
    finish_points,
    select_cuts,
)
from ..thresholds._internal import (
    Settings,
    Thresholds,
    objective_from_counts,
    warn_fallback,
    warn_infeasible,
)
from ._columns import ColumnError, ColumnSpec
from ._tuning import (
    CountPass,
    FetchPass,
    SketchPass,
    _Groups,
    _threshold,
    _unpack,
    merge_count_payloads,
    merge_fetch_payloads,
    merge_sketch_payloads,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def candidate_bins(rule: Constraint, groups: _Groups, tp: FloatArray, fp: FloatArray) -> BoolArray:
    """Bins that may hold a cut at least as good as the best edge cut, per label."""
    pos, neg = tp[:, :1], fp[:, :1]
    splittable: BoolArray = groups.lo < groups.hi
    tp_hi, tp_lo, fp_lo, fp_hi = tp[:, :-1], tp[:, 1:], fp[:, 1:], fp[:, :-1]
    if rule.target == "eer":
        with np.errstate(divide="ignore", invalid="ignore"):
            fpr_lo, fpr_hi = fp_lo / neg, fp_hi / neg
            fnr_lo, fnr_hi = 1 - tp_hi / pos, 1 - tp_lo / pos
        gap = np.maximum(0.0, np.maximum(fpr_lo - fnr_hi, fnr_lo - fpr_hi))
        point = rule.evaluate(tp, fp, pos - tp, neg - fp)
        best = -np.max(np.where(point.met, point.key, -np.inf), axis=1, keepdims=True)
        # The slack keeps bins whose best gap ties the edge's up to rounding.
        result: BoolArray = splittable & (gap <= best + 1e-12)
        return result
    edges = select_cuts(rule, tp, fp, pos - tp, neg - fp, None)
    corner = rule.evaluate(tp_hi, fp_lo, pos - tp_hi, neg - fp_lo)
    beat = corner.met & ~(corner.values < edges.values[:, None])  # ties, and nan edges, kept
    result = splittable & beat
    return result


@dataclass(frozen=True)
class _Cuts:
    """One group's reachable cuts in threshold order: counts, the threshold of each (the
    lowest score predicted positive) and its key for the search's midpoint rule."""

    tp: FloatArray
    fp: FloatArray
    thresholds: FloatArray
    keys: list[tuple[int, int]]
    sorted_bins: dict[int, FloatArray]


def _group_cuts(
    g: int, groups: _Groups, tp: FloatArray, fp: FloatArray, fetched: dict[str, Any], prefix: str
) -> _Cuts:
    """Counts and thresholds of group ``g``'s edge cuts and fetched inside cuts, in order."""
    labels = fetched.get(f"{prefix}_label", np.zeros(0, np.int64))
    mine = labels == g if prefix == "label" else np.ones(labels.shape, bool)
    rows = {name: fetched[f"{prefix}_{name}"][mine] if mine.any() else np.zeros(0)
            for name in ("bin", "score", "truth", "weight")}  # fmt: skip
    # The threshold of edge e is the smallest score at or above it: that of the first
    # non-empty bin from e on (inf: nothing is).
    lows = np.where(groups.lo[g] <= groups.hi[g], groups.lo[g], np.inf)
    edge_threshold = np.append(np.minimum.accumulate(lows[::-1])[::-1], np.inf)
    parts_tp, parts_fp, parts_t, keys = [], [], [], []
    sorted_bins: dict[int, FloatArray] = {}
    start = 0
    for b in np.unique(rows["bin"]).astype(int).tolist():
        inside = rows["bin"] == b
        order = np.argsort(rows["score"][inside], kind="stable")
        scores = rows["score"][inside][order]
        counts = curve(rows["truth"][inside][order].astype(bool), rows["weight"][inside][order])
        valid = candidate_mask(scores, None)
        valid[0] = valid[-1] = False  # the bin's edge cuts, counted from the sketch
        keep = np.flatnonzero(valid)
        sorted_bins[b] = scores
        parts_tp += [tp[g, start : b + 1], tp[g, b + 1] + counts.tp[keep]]
        parts_fp += [fp[g, start : b + 1], fp[g, b + 1] + counts.fp[keep]]
        parts_t += [edge_threshold[start : b + 1], scores[keep]]
        keys += [(e, 0) for e in range(start, b + 1)] + [(b, int(k)) for k in keep]
        start = b + 1
    parts_tp.append(tp[g, start:])
    parts_fp.append(fp[g, start:])
    parts_t.append(edge_threshold[start:])
    keys += [(e, 0) for e in range(start, tp.shape[1])]
    return _Cuts(np.concatenate(parts_tp), np.concatenate(parts_fp), np.concatenate(parts_t),
                 keys, sorted_bins)  # fmt: skip


@dataclass(frozen=True)
class _Sketched:
    """The merged first pass: the labels' sketch groups, edge counts and names."""

    state: dict[str, Any]
    groups: _Groups
    tp: FloatArray
    fp: FloatArray
    given: tuple[str, ...] | None

    @property
    def n_labels(self) -> int:
        return int(self.tp.shape[0])

    @property
    def names(self) -> tuple[str, ...]:
        return self.given or tuple(f"label_{i}" for i in range(self.n_labels))


def _sketch(
    engine: Any, spec: ColumnSpec, n_bins: int, logits: bool, label_names: Any
) -> _Sketched:
    spec.check_present(list(engine.columns()), engine.describe())
    state = _unpack(engine.run(SketchPass(spec, spec.n_labels, n_bins, logits),
                               merge=merge_sketch_payloads))  # fmt: skip
    if "pos" not in state:
        raise ColumnError(f"{engine.describe()} has no rows")
    n_labels = int(state["pos"].shape[0])
    if not (state["pos"].sum() + state["neg"].sum()) > 0:
        raise ValueError("sample_weight must have a positive sum; got all-zero weights")
    names = check_label_names(label_names if label_names is not None else spec.label_names,
                              n_labels)  # fmt: skip
    groups = _Groups(state["pos"], state["neg"], state["lo"], state["hi"], n_bins)
    tp, fp = groups.edge_counts()
    return _Sketched(state, groups, tp, fp, names)


def operating_points(
    engine: Any,
    spec: ColumnSpec,
    constraints: Any,
    *,
    label_names: Sequence[str] | None,
    from_logits: bool,
    n_bins: int,
) -> dict[str, OperatingPoints]:
    """The in-memory [`operating_points`][multilabel_attr.core.operating_points], exactly, from
    two passes over the engine's partitions (``from_logits`` and ``n_bins`` checked at the
    public door)."""
    rules = check_constraints(constraints)
    sk = _sketch(engine, spec, n_bins, from_logits, label_names)
    wanted = np.zeros((sk.n_labels, n_bins), bool)
    for rule in rules:
        wanted |= candidate_bins(rule, sk.groups, sk.tp, sk.fp)
    fetch = FetchPass(spec, spec.n_labels, n_bins, from_logits, wanted, None)
    fetched = _unpack(engine.run(fetch, merge=merge_fetch_payloads))
    n_labels = sk.n_labels
    swept = [
        (np.empty(n_labels), np.empty(n_labels), np.empty(n_labels), np.empty(n_labels, bool))
        for _ in rules
    ]
    for g in range(n_labels):
        cuts = _group_cuts(g, sk.groups, sk.tp, sk.fp, fetched, "label")
        for rule, out in zip(rules, swept):
            chosen = _select(rule, cuts)
            out[0][g], out[2][g], out[3][g] = chosen.values, chosen.achieved, chosen.feasible
            out[1][g] = cuts.thresholds[int(chosen.cuts)] if chosen.feasible else np.nan
    classes = (sk.state["weighted_positives"] > 0, sk.state["neg"].sum(axis=1) > 0)
    return finish_points(rules, swept, classes, sk.names, from_logits)


def _select(rule: Constraint, cuts: _Cuts) -> Any:
    pos, neg = cuts.tp[0], cuts.fp[0]
    return select_cuts(rule, cuts.tp, cuts.fp, pos - cuts.tp, neg - cuts.fp, None)


def _search_rule(
    rule: Constraint, groups: _Groups, g: int, cuts: _Cuts, clip: bool
) -> tuple[float, bool]:
    """The threshold search's threshold (midpoint rule) for group ``g``, and whether the rule
    was met. With probabilities the search keeps thresholds in [0, 1], so nothing-positive is
    no candidate when a score is 1."""
    valid = np.ones(cuts.tp.shape[0], bool)
    if clip and groups.hi[g].max() >= 1:
        valid[-1] = False
    pos, neg = cuts.tp[0], cuts.fp[0]
    chosen = select_cuts(rule, cuts.tp, cuts.fp, pos - cuts.tp, neg - cuts.fp, valid)
    value = _threshold(groups, g, cuts.keys[int(chosen.cuts)], cuts.sorted_bins)
    return (min(max(value, 0.0), 1.0) if clip else value), bool(chosen.feasible)


def tune_constrained(
    engine: Any, spec: ColumnSpec, settings: Settings, label_names: Any, n_bins: int
) -> Thresholds:
    """[`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] with an
    operating-point rule as its objective, from the sketch, fetch and count passes."""
    rule, logits = settings.objective.constraint, settings.from_logits
    assert rule is not None
    sk = _sketch(engine, spec, n_bins, logits, label_names)
    state, n_labels = sk.state, sk.n_labels
    clip = not logits and bool(state["lo"].min() >= 0 and state["hi"].max() <= 1)
    pooled = _Groups(
        state["pos"].sum(0, keepdims=True), state["neg"].sum(0, keepdims=True),
        state["lo"].min(0, keepdims=True), state["hi"].max(0, keepdims=True), n_bins,
    )  # fmt: skip
    ptp, pfp = pooled.edge_counts()
    per_label = settings.strategy == "per_label"
    fixed = np.zeros(n_labels, bool)
    if per_label and settings.min_positives:
        fixed = state["weighted_positives"] < settings.min_positives
    use_pooled = not per_label or settings.fallback == "shared"
    label_bins = candidate_bins(rule, sk.groups, sk.tp, sk.fp) if per_label else None
    if label_bins is not None:
        label_bins[fixed] = False
    pooled_bins = candidate_bins(rule, pooled, ptp, pfp) if use_pooled else None
    fetch = FetchPass(spec, spec.n_labels, n_bins, logits, label_bins, pooled_bins)
    fetched = _unpack(engine.run(fetch, merge=merge_fetch_payloads))
    shared = None
    if use_pooled:
        shared = _search_rule(rule, pooled, 0, _group_cuts(0, pooled, ptp, pfp, fetched,
                                                            "pooled"), clip)[0]  # fmt: skip
    if per_label:
        values, feasible = np.empty(n_labels), np.ones(n_labels, bool)
        for g in np.flatnonzero(~fixed).tolist():
            cuts = _group_cuts(g, sk.groups, sk.tp, sk.fp, fetched, "label")
            values[g], feasible[g] = _search_rule(rule, sk.groups, g, cuts, clip)
        fallback = shared if settings.fallback == "shared" else float(settings.fallback)
        assert fallback is not None
        if clip:
            fallback = min(max(fallback, 0.0), 1.0)
        what = "shared" if settings.fallback == "shared" else "fallback"
        described = f"the {what} threshold {fallback:.6g}"
        if fixed.any():
            values[fixed] = fallback
            warn_fallback(fixed, state["positives"][fixed].tolist(), settings.min_positives,
                          described, sk.given)  # fmt: skip
        infeasible = ~feasible & ~fixed
        if infeasible.any():
            values[infeasible] = fallback
            warn_infeasible(infeasible, rule.key, described, sk.given)
        extra: dict[str, Any] = {"fallback_labels": np.flatnonzero(fixed | infeasible).tolist()}
    else:
        assert shared is not None
        values, extra = np.full(n_labels, shared), {}
    counted = _unpack(engine.run(CountPass(spec, spec.n_labels, values),
                                 merge=merge_count_payloads))  # fmt: skip
    objective_value, scores = objective_from_counts(
        settings.objective, settings.average, *counted["counts"]
    )
    return Thresholds(
        values, validation_scores=scores, objective=objective_value, label_names=sk.given,
        metric=settings.objective.name, strategy=settings.strategy, average=settings.average,
        from_logits=logits, n_samples=int(state["n_samples"]), **extra,
    )  # fmt: skip
