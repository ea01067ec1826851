"""One partition in, one small serialised state out; states merge like counts.

A partition's state is a pure function of its rows (and, for the bootstrap, of
their row ids and the seed), so an engine that re-runs a failed task gets the
same state again and nothing is counted twice.  States travel between
processes as a few numpy arrays packed with ``numpy.savez`` (no pickle).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import (
    InputError,
    MultilabelCounts,
    ScoreSketch,
    SlicedCounts,
    SliceReplicates,
    binary_predictions,
    combine_replicates,
    prepare_sliced_batch,
    replicates_of,
    slice_replicates,
    slice_sketches,
)
from ..core._validation import check_probabilities
from ._columns import Block, ColumnError, ColumnSpec, block_from_arrow
from ._fingerprint import Fingerprint, block_fingerprint

FloatArray = NDArray[np.float64]

BATCH_ROWS = 1 << 18
"""Rows counted at once: large enough that per-count overhead vanishes."""

_SKETCH_FIELDS = ("pos", "neg", "lo", "hi")
_COUNT_FIELDS = ("tp", "fp", "fn", "tn", "sample_keys", "sample_weight", "sample_count")


@dataclass
class Partial:
    """Merged state of some partitions: counts, and bootstrap replicates when asked for."""

    counts: MultilabelCounts | None = None
    replicates: SliceReplicates | None = None
    """With a bootstrap: the replicate counts of all rows (the core's, as in memory)."""
    where: str = ""
    sketch: ScoreSketch | None = None
    fingerprint: Fingerprint = field(default_factory=Fingerprint)
    sliced: SlicedCounts | None = None
    """With groups: every slice's counts (``counts`` is then ``None``)."""
    slice_sketches: dict[Any, ScoreSketch] | None = None
    """With groups and ranking columns: one sketch per slice key."""
    slice_replicates: dict[Any, SliceReplicates] | None = None
    """With groups and a bootstrap: every slice's replicate counts, by slice key."""

    @property
    def empty(self) -> bool:
        return self.counts is None and self.sliced is None

    def merge(self, other: Partial) -> Partial:
        if other.empty:
            return self
        if self.empty:
            return other
        if self.sliced is not None and other.sliced is not None:
            return self._merge_sliced(other)
        assert self.counts is not None and other.counts is not None
        if other.counts.n_labels != self.counts.n_labels:
            raise ColumnError(
                f"rows hold {self.counts.n_labels} labels in {self.where} but "
                f"{other.counts.n_labels} in {other.where}"
            )
        replicates = sketch = None
        if self.replicates is not None and other.replicates is not None:
            replicates = combine_replicates([self.replicates, other.replicates])
        if self.sketch is not None and other.sketch is not None:
            sketch = self.sketch.merge(other.sketch)
        return Partial(
            self.counts.merge(other.counts), replicates, self.where, sketch,
            self.fingerprint + other.fingerprint,
        )  # fmt: skip

    def _merge_sliced(self, other: Partial) -> Partial:
        assert self.sliced is not None and other.sliced is not None
        if other.sliced.n_labels != self.sliced.n_labels:
            raise ColumnError(
                f"rows hold {self.sliced.n_labels} labels in {self.where} but "
                f"{other.sliced.n_labels} in {other.where}"
            )
        try:
            sliced = self.sliced.merge(other.sliced)
        except ValueError as exc:
            raise ColumnError(f"in {other.where}: {exc}") from exc
        sketches = None
        if self.slice_sketches is not None and other.slice_sketches is not None:
            sketches = dict(self.slice_sketches)
            for key, sketch in other.slice_sketches.items():
                old = sketches.get(key)
                sketches[key] = sketch if old is None else old.merge(sketch)
        replicates = None
        if self.slice_replicates is not None and other.slice_replicates is not None:
            # A slice's replicate counts are sums over its rows: partitions add up.
            replicates = dict(self.slice_replicates)
            for key, part in other.slice_replicates.items():
                mine = replicates.get(key)
                replicates[key] = part if mine is None else combine_replicates([mine, part])
        return Partial(where=self.where, sliced=sliced, slice_sketches=sketches,
                       slice_replicates=replicates)  # fmt: skip

    def to_bytes(self) -> bytes:
        arrays: dict[str, Any] = {"where": np.array(self.where), **self.fingerprint.arrays()}
        if self.sliced is not None:
            arrays["sliced"] = np.array(json.dumps(self.sliced.to_dict()))
        if self.slice_sketches is not None:
            keys = list(self.slice_sketches)
            arrays["slice_sketch_keys"] = np.array(json.dumps([list(k) for k in keys]))
            for i, key in enumerate(keys):
                sketch = self.slice_sketches[key]
                arrays.update({f"s{i}_{k}": getattr(sketch, k) for k in _SKETCH_FIELDS})
                arrays[f"s{i}_n"] = np.array(sketch.n_samples)
                arrays[f"s{i}_from_logits"] = np.array(sketch.from_logits)
        if self.slice_replicates is not None:
            arrays.update(_replicate_arrays(self.slice_replicates))
        if self.counts is not None:
            arrays["n_samples"] = np.array(self.counts.n_samples)
            for name in _COUNT_FIELDS:
                arrays[name] = getattr(self.counts, name)
        if self.replicates is not None:
            arrays.update(_replicate_arrays({(): self.replicates}))
        if self.sketch is not None:
            arrays.update({f"k_{k}": getattr(self.sketch, k) for k in _SKETCH_FIELDS})
            arrays["k_from_logits"] = np.array(self.sketch.from_logits)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> Partial:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        where = str(arrays["where"])
        if "sliced" in arrays:
            return cls._sliced_from_arrays(arrays, where)
        if "tp" not in arrays:
            return cls(None, None, where)
        counts = MultilabelCounts._empty(int(arrays["tp"].shape[0]))
        for name in _COUNT_FIELDS:
            setattr(counts, name, arrays[name])
        counts.n_samples = int(arrays["n_samples"])
        replicates = _replicates_from_arrays(arrays)[()] if "b_keys" in arrays else None
        sketch = None
        if "k_pos" in arrays:
            pos = arrays["k_pos"]
            sketch = ScoreSketch._empty(pos.shape[0], pos.shape[1], bool(arrays["k_from_logits"]))
            for name in _SKETCH_FIELDS:
                setattr(sketch, name, arrays[f"k_{name}"])
            sketch.n_samples = counts.n_samples
        return cls(counts, replicates, where, sketch, Fingerprint.from_arrays(arrays))


    @classmethod
    def _sliced_from_arrays(cls, arrays: dict[str, Any], where: str) -> Partial:
        sliced = SlicedCounts.from_dict(json.loads(str(arrays["sliced"])))
        sketches = None
        if "slice_sketch_keys" in arrays:
            sketches = {}
            for i, key in enumerate(json.loads(str(arrays["slice_sketch_keys"]))):
                pos = arrays[f"s{i}_pos"]
                sketch = ScoreSketch(
                    pos.shape[0], n_bins=pos.shape[1],
                    from_logits=bool(arrays[f"s{i}_from_logits"]),
                )  # fmt: skip
                for name in _SKETCH_FIELDS:
                    setattr(sketch, name, arrays[f"s{i}_{name}"])
                sketch.n_samples = int(arrays[f"s{i}_n"])
                sketches[tuple(key)] = sketch
        replicates = _replicates_from_arrays(arrays) if "b_keys" in arrays else None
        return cls(where=where, sliced=sliced, slice_sketches=sketches,
                   slice_replicates=replicates)  # fmt: skip


_REPLICATE_FIELDS = ("tp", "fp", "fn", "tn")


def _replicate_arrays(replicates: dict[Any, SliceReplicates]) -> dict[str, Any]:
    """Every slice's replicate counts as named arrays (the slice keys as JSON)."""
    keys = list(replicates)
    arrays: dict[str, Any] = {"b_keys": np.array(json.dumps([list(k) for k in keys]))}
    for i, key in enumerate(keys):
        part = replicates[key]
        arrays.update({f"b{i}_{name}": c for name, c in zip(_REPLICATE_FIELDS, part.counts)})
        arrays[f"b{i}_sample_keys"] = part.keys
        arrays[f"b{i}_key_weight"] = part.key_weight
        arrays[f"b{i}_present"] = part.present
    return arrays


def _replicates_from_arrays(arrays: dict[str, Any]) -> dict[Any, SliceReplicates]:
    replicates = {}
    for i, key in enumerate(json.loads(str(arrays["b_keys"]))):
        tp, fp, fn, tn = (arrays[f"b{i}_{name}"] for name in _REPLICATE_FIELDS)
        replicates[tuple(key)] = SliceReplicates(
            (tp, fp, fn, tn), arrays[f"b{i}_sample_keys"], arrays[f"b{i}_key_weight"],
            arrays[f"b{i}_present"],
        )  # fmt: skip
    return replicates


def merge_payloads(*payloads: bytes) -> bytes:
    """Merge serialised partition states (the reduction step of every engine)."""
    return merge_all(payloads).to_bytes()


def merge_all(payloads: Iterable[bytes]) -> Partial:
    merged = Partial()
    for payload in payloads:
        merged = merged.merge(Partial.from_bytes(payload))
    return merged


def _locate(block: Block, spec: ColumnSpec, kind: str, scores_bounded: bool) -> tuple[str, str]:
    """The column holding the first bad value, and how a message names it (only on the
    error path)."""
    group = spec.labels if kind == "labels" else spec.scores
    values = block.truth if kind == "labels" else block.scores
    whole = group if isinstance(group, str) else ", ".join(group)
    if values.dtype == np.bool_:
        return whole, repr(group)
    if kind == "labels":
        bad = ~((values == 0) | (values == 1))
    else:
        bad = ~np.isfinite(values)
        if scores_bounded and not bad.any():
            bad = (values < 0) | (values > 1)
    columns = np.flatnonzero(bad.any(axis=0))
    if columns.size == 0:
        return whole, repr(group)
    index = int(columns[0])
    if isinstance(group, tuple):
        return group[index], repr(group[index])
    return group, f"{group!r} (position {index})"


_SUBJECTS = {"y_true": "labels", "y_score": "scores", "y_pred": "scores"}


def describe_failure(
    exc: Exception, block: Block, spec: ColumnSpec, threshold: Any, from_logits: bool,
    hint: str = "",
) -> ColumnError:  # fmt: skip
    """The core's error placed in the table: the column of the argument it names (read from
    the error's ``argument`` field) and the block's place."""
    argument = exc.argument if isinstance(exc, InputError) else None
    reason = exc.reason if isinstance(exc, InputError) else str(exc)
    if argument in _SUBJECTS:
        kind = _SUBJECTS[argument]
        bounded = threshold is not None and not from_logits
        column, shown = _locate(block, spec, kind, bounded)
        message = f"column {shown} ({kind}) in {block.where}: {reason}"
    elif argument == "sample_weight" and spec.weight is not None:
        column = spec.weight
        message = f"column {column!r} (weight) in {block.where}: {reason}"
    else:
        column = None
        message = f"in {block.where}: {exc}"
    places = getattr(block.where, "places", {})
    return ColumnError(message + hint, argument=argument, column=column, **places)


def add_to_sketch(
    sketch: ScoreSketch, block: Block, from_logits: bool, *, checked: bool = False
) -> None:
    """Add a block whose labels and weights the engine has checked already (its scores too
    when ``checked``: a block the counting took has passed the sketch's rules).

    A block whose weights are all zero is valid here, as it is for the counts: the
    whole input decides whether a metric is defined, not one of its partitions.
    """
    scores = block.scores
    if not from_logits and not checked:
        check_probabilities(scores, "y_score")
    sketch._add_checked(block.truth, scores, block.weight)


@dataclass(frozen=True)
class Slicing:
    """How a partition task slices its rows: label names (to find the slicing labels), the
    label columns sliced by, and the cap on slices."""

    label_names: tuple[str, ...] | None
    slice_labels: tuple[str, ...]
    max_slices: int


@dataclass(frozen=True)
class CountTask:
    """Counts one partition (and its bootstrap replicates when ``n_resamples`` is set)."""

    spec: ColumnSpec
    n_labels: int | None
    threshold: Any
    from_logits: bool
    n_resamples: int = 0
    seed: int = 0
    n_bins: int = 0
    """Bins of the score sketch kept for the ranking columns (0: none)."""
    slicing: Slicing | None = None
    fingerprint: bool = False
    """Also take the input's fingerprint (for a run that reads it again)."""

    def count(self, block: Block, first_row: int) -> Partial:
        if block.n_rows == 0:
            return Partial(where=block.where)
        if self.slicing is not None:
            return self._count_sliced(block, self.slicing, first_row)
        try:
            counts = MultilabelCounts._from_checked(
                block.truth, block.scores, threshold=self.threshold,
                from_logits=self.from_logits, sample_weight=block.weight,
            )  # fmt: skip
        except (ValueError, TypeError) as exc:
            raise describe_failure(exc, block, self.spec, self.threshold, self.from_logits) from exc
        replicates = None
        if self.n_resamples:
            # The core's replicate counts, the draws keyed as in memory.
            truth, pred, weight = binary_predictions(
                block.truth, block.scores, self.threshold, self.from_logits, block.weight
            )
            replicates = slice_replicates(
                truth, pred, weight, _draw_keys(block, first_row), self.seed, self.n_resamples
            )
        sketch = None
        if self.n_bins:
            # The block passed the counting's checks, the same rules as the sketch's: add it
            # through the sketch's validated path rather than checking it again.
            sketch = ScoreSketch._empty(counts.n_labels, self.n_bins, self.from_logits)
            add_to_sketch(sketch, block, self.from_logits, checked=True)
        seen = block_fingerprint(block) if self.fingerprint else Fingerprint()
        return Partial(counts, replicates, block.where, sketch, seen)

    def _count_sliced(self, block: Block, slicing: Slicing, first_row: int) -> Partial:
        """The core's sliced counting on one block: the slice key is one more key of the
        same counting pass."""
        try:
            batch = prepare_sliced_batch(
                block.truth, block.scores, groups=block.groups or None,
                slice_labels=slicing.slice_labels, label_names=slicing.label_names,
                threshold=self.threshold, from_logits=self.from_logits,
                sample_weight=block.weight, max_slices=slicing.max_slices,
            )  # fmt: skip
        except (ValueError, TypeError) as exc:
            raise describe_failure(exc, block, self.spec, self.threshold, self.from_logits) from exc
        sliced = SlicedCounts(
            block.truth.shape[1], label_names=slicing.label_names,
            slice_labels=slicing.slice_labels, max_slices=slicing.max_slices,
        )  # fmt: skip
        sliced.add_batch(batch)
        sketches = None
        if self.n_bins:
            n_counted = sliced.n_counted
            sketches = slice_sketches(
                batch, lambda: ScoreSketch._empty(n_counted, self.n_bins, self.from_logits)
            )
        replicates = None
        if self.n_resamples:
            # The core's replicates of every slice, the draws keyed as in memory.
            parts = replicates_of(batch, self.seed, self.n_resamples, _draw_keys(block, first_row))
            replicates = dict(zip(batch.index.keys, parts))
        return Partial(where=block.where, sliced=sliced, slice_sketches=sketches,
                       slice_replicates=replicates)  # fmt: skip

    def __call__(self, batches: Iterable[Any], where: str, first_row: int = 0) -> bytes:
        merged = Partial(where=where)
        for item in rebatch(batches):
            block = (
                item if isinstance(item, Block)
                else block_from_arrow(item, self.spec, self.n_labels, where)
            )  # fmt: skip
            merged = merged.merge(self.count(block, first_row))
            first_row += block.n_rows
        if not merged.where:
            merged.where = where
        return merged.to_bytes()


def _draw_keys(block: Block, first_row: int) -> NDArray[np.int64]:
    """The key of each row's bootstrap draws: its cluster's, else its id, else its position."""
    # A cluster's rows share their draws, wherever they are: the key is the cluster's.
    keys = block.row_id if block.cluster_key is None else block.cluster_key
    if keys is None:
        keys = np.arange(first_row, first_row + block.n_rows, dtype=np.int64)
    return keys


def rebatch(items: Iterable[Any], rows: int = BATCH_ROWS) -> Iterator[Any]:
    """Arrow batches gathered into tables of about ``rows`` rows (fewer, larger counts);
    numpy blocks pass through."""
    import pyarrow as pa

    pending: list[Any] = []
    size = 0
    for item in items:
        if isinstance(item, Block):
            yield item
            continue
        if item.num_rows == 0:
            continue
        if not pending and item.num_rows >= rows // 4:
            yield item  # large enough already: no concatenating copy
            continue
        pending.append(item)
        size += item.num_rows
        if size >= rows:
            yield pa.Table.from_batches(pending) if len(pending) > 1 else pending[0]
            pending, size = [], 0
    if pending:
        yield pa.Table.from_batches(pending) if len(pending) > 1 else pending[0]


PartitionTask = Callable[[Iterable[Any], str, int], bytes]
Merge = Callable[..., bytes]
