"""Sketch bins crowded with distinct scores, cut into finer groups before the exact shuffle.

The exact path sends the cells of each (label, bin) group to one bucket.  A bin that holds
one score is summed before the shuffle; a bin of many distinct scores (scores packed into a
narrow range, such as ``0.5`` plus tiny noise) would still reach one reducer whole, so what
that reducer holds would grow with the rows.  Such a bin is cut again: one more pass over
the data sums, for every crowded group, the cells, positives, negatives and smallest and
largest score of each of ``FINE_CUTS`` equal-width cuts of the group's score range.  Every
cut becomes a group of its own, with the exact offsets of its parent and its siblings, and a
cut that is still crowded is cut again by the next pass (at most ``MAX_PASSES``).  The cut
of a score is monotone in the score, so each group still holds one run of the sorted
scores, which is all the exact sums need; and every pass takes the input's fingerprint, as
the shuffle does.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import ScoreSketch
from . import _exact
from ._fingerprint import Fingerprint, check_unchanged
from ._tuning import _Pass

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MAX_PASSES = 4
"""Passes that cut crowded groups; each cuts a group's range ``FINE_CUTS`` times finer."""

_SUMS = ("cells", "pos", "neg", "lo", "hi")


def crowding_limit() -> int:
    """Cells above which a group of several scores is cut (read when a run starts)."""
    return max(1, _exact.CELLS_PER_BUCKET // 4)


@dataclass(frozen=True)
class CutPass(_Pass):
    """Per cut of every group in ``targets``: cells, positive and negative weight, and the
    smallest and largest score (with the partition's fingerprint)."""

    n_bins: int = 1024
    from_logits: bool = False
    layout: _exact.Layout | None = None
    targets: IntArray | None = None

    def __call__(self, batches: Iterable[Any], where: str, first_row: int = 0) -> bytes:
        assert self.layout is not None and self.targets is not None
        layout, fine = self.layout, _exact.FINE_CUTS
        index = np.full(layout.n_groups, -1, np.int64)
        index[self.targets] = np.arange(self.targets.size)
        size = self.targets.size * fine
        cells, pos, neg = np.zeros(size, np.int64), np.zeros(size), np.zeros(size)
        lo, hi = np.full(size, np.inf), np.full(size, -np.inf)
        seen = Fingerprint()
        for block in self.blocks(batches, where):
            group, score, truth, weight = _exact.block_cells(block, self.n_bins, self.from_logits)
            seen = seen + _exact.cells_fingerprint(group, score, truth, weight, self.n_bins)
            group = layout.assign(group, score)
            target = index[group]
            inside = target >= 0
            if not inside.any():
                continue
            target, score = target[inside], score[inside]
            truth, weight = truth[inside], weight[inside]
            cut = _exact.cut_of(score, layout.lo[self.targets[target]],
                                layout.hi[self.targets[target]])  # fmt: skip
            key = target * fine + cut
            cells += np.bincount(key, minlength=size)
            pos += np.bincount(key, weights=np.where(truth, weight, 0.0), minlength=size)
            neg += np.bincount(key, weights=np.where(truth, 0.0, weight), minlength=size)
            np.minimum.at(lo, key, score)
            np.maximum.at(hi, key, score)
        buffer = io.BytesIO()
        np.savez(buffer, cells=cells, pos=pos, neg=neg, lo=lo, hi=hi, **seen.arrays())
        return buffer.getvalue()


def merge_cut_payloads(*payloads: bytes) -> bytes:
    """Add the partitions' sums (the smallest and largest scores by min and max)."""
    parts = []
    for payload in payloads:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            parts.append({name: data[name] for name in data.files})
    merged = {
        "cells": sum(p["cells"] for p in parts), "pos": sum(p["pos"] for p in parts),
        "neg": sum(p["neg"] for p in parts),
        "lo": np.minimum.reduce([p["lo"] for p in parts]),
        "hi": np.maximum.reduce([p["hi"] for p in parts]),
    }  # fmt: skip
    seen = Fingerprint()
    for part in parts:
        seen = seen + Fingerprint.from_arrays(part)
    buffer = io.BytesIO()
    np.savez(buffer, **merged, **seen.arrays())
    return buffer.getvalue()


def _crowded(layout: _exact.Layout, cells: FloatArray, limit: int) -> IntArray:
    """Groups of more than ``limit`` cells and several distinct (finite) scores."""
    with np.errstate(invalid="ignore", over="ignore"):
        spread = layout.hi - layout.lo
        wanted = (cells > limit) & (spread > 0) & np.isfinite(spread)
    return np.flatnonzero(wanted).astype(np.int64)


def layout(
    engine: Any, spec: Any, sketch: ScoreSketch, n_labels: int | None, first: Fingerprint
) -> _exact.Layout:
    """The groups of the exact shuffle: the sketch's, with crowded groups cut finer.

    A group's cells are first estimated from its share of its label's weight (the sketch
    holds weights, not cells); after a pass they are counted.
    """
    current = _exact.Layout.from_sketch(sketch)
    weight = (sketch.pos + sketch.neg).astype(np.float64)
    total = weight.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, weight / total, 0.0)
    cells = (share * sketch.n_samples).ravel()
    limit = crowding_limit()
    for _ in range(MAX_PASSES):
        targets = _crowded(current, cells, limit)
        if targets.size == 0:
            break
        task = CutPass(spec, n_labels, sketch.n_bins, sketch.from_logits, current, targets)
        payload = engine.run(task, merge=merge_cut_payloads)
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            sums = {name: data[name] for name in data.files}
        check_unchanged(first, Fingerprint.from_arrays(sums), engine.describe(),
                        "exact ranking")  # fmt: skip
        current = current.cut(targets, *(sums[name] for name in _SUMS))
        cells = np.zeros(current.n_groups)
        cells[-sums["cells"].size :] = sums["cells"]
    return current
