"""One partition in, one small serialised state out; states merge like counts.

A partition's state is a pure function of its rows (and, for the bootstrap, of
their row ids and the seed), so an engine that re-runs a failed task gets the
same state again and nothing is counted twice.  States travel between
processes as a few numpy arrays packed with ``numpy.savez`` (no pickle).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import MultilabelCounts, ScoreSketch
from ._bootstrap import Replicates, replicate_block
from ._columns import Block, ColumnError, ColumnSpec, block_from_arrow

FloatArray = NDArray[np.float64]

BATCH_ROWS = 1 << 18
"""Rows counted at once: large enough that per-count overhead vanishes."""

_SKETCH_FIELDS = ("pos", "neg", "lo", "hi")
_COUNT_FIELDS = ("tp", "fp", "fn", "tn", "sample_keys", "sample_weight", "sample_count")


@dataclass
class Partial:
    """Merged state of some partitions: counts, and bootstrap replicates when asked for."""

    counts: MultilabelCounts | None = None
    replicates: Replicates | None = None
    where: str = ""
    sketch: ScoreSketch | None = None

    def merge(self, other: Partial) -> Partial:
        if other.counts is None:
            return self
        if self.counts is None:
            return other
        if other.counts.n_labels != self.counts.n_labels:
            raise ColumnError(
                f"rows hold {self.counts.n_labels} labels in {self.where} but "
                f"{other.counts.n_labels} in {other.where}"
            )
        replicates = sketch = None
        if self.replicates is not None and other.replicates is not None:
            replicates = self.replicates.merge(other.replicates)
        if self.sketch is not None and other.sketch is not None:
            sketch = self.sketch.merge(other.sketch)
        return Partial(self.counts.merge(other.counts), replicates, self.where, sketch)

    def to_bytes(self) -> bytes:
        arrays: dict[str, Any] = {"where": np.array(self.where)}
        if self.counts is not None:
            arrays["n_samples"] = np.array(self.counts.n_samples)
            for name in _COUNT_FIELDS:
                arrays[name] = getattr(self.counts, name)
        if self.replicates is not None:
            arrays.update({f"r_{k}": v for k, v in self.replicates.arrays().items()})
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
        if "tp" not in arrays:
            return cls(None, None, where)
        counts = MultilabelCounts(int(arrays["tp"].shape[0]))
        for name in _COUNT_FIELDS:
            setattr(counts, name, arrays[name])
        counts.n_samples = int(arrays["n_samples"])
        replicates = None
        if "r_tp" in arrays:
            replicates = Replicates.from_arrays(
                {k[2:]: v for k, v in arrays.items() if k.startswith("r_")}
            )
        sketch = None
        if "k_pos" in arrays:
            pos = arrays["k_pos"]
            sketch = ScoreSketch(
                pos.shape[0], n_bins=pos.shape[1], from_logits=bool(arrays["k_from_logits"])
            )
            for name in _SKETCH_FIELDS:
                setattr(sketch, name, arrays[f"k_{name}"])
            sketch.n_samples = counts.n_samples
        return cls(counts, replicates, where, sketch)


def merge_payloads(*payloads: bytes) -> bytes:
    """Merge serialised partition states (the reduction step of every engine)."""
    return merge_all(payloads).to_bytes()


def merge_all(payloads: Iterable[bytes]) -> Partial:
    merged = Partial()
    for payload in payloads:
        merged = merged.merge(Partial.from_bytes(payload))
    return merged


def _locate(block: Block, spec: ColumnSpec, kind: str, scores_bounded: bool) -> str:
    """The column holding the first bad value (only on the error path)."""
    group = spec.labels if kind == "labels" else spec.scores
    values = block.truth if kind == "labels" else block.scores
    if values.dtype == np.bool_:
        return repr(group)
    if kind == "labels":
        bad = ~((values == 0) | (values == 1))
    else:
        bad = ~np.isfinite(values)
        if scores_bounded and not bad.any():
            bad = (values < 0) | (values > 1)
    columns = np.flatnonzero(bad.any(axis=0))
    if columns.size == 0:
        return repr(group)
    index = int(columns[0])
    return repr(group[index]) if isinstance(group, tuple) else f"{group!r} (position {index})"


_SUBJECTS = {"y_true": "labels", "y_score": "scores", "y_pred": "scores"}


def describe_failure(
    exc: Exception, block: Block, spec: ColumnSpec, threshold: Any, from_logits: bool
) -> str:
    """The core's message, with the argument it names replaced by the column and place."""
    message = str(exc)
    for argument, kind in _SUBJECTS.items():
        if message.startswith(argument):
            column = _locate(block, spec, kind, threshold is not None and not from_logits)
            rest = message[len(argument) :].lstrip()
            return f"column {column} ({kind}) in {block.where}: {rest}"
    if message.startswith("sample_weight") and spec.weight is not None:
        rest = message[len("sample_weight") :].lstrip()
        return f"column {spec.weight!r} (weight) in {block.where}: {rest}"
    return f"in {block.where}: {message}"


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

    def count(self, block: Block, first_row: int) -> Partial:
        if block.n_rows == 0:
            return Partial(where=block.where)
        try:
            counts = MultilabelCounts.from_batch(
                block.truth, block.scores, threshold=self.threshold,
                from_logits=self.from_logits, sample_weight=block.weight,
            )  # fmt: skip
        except (ValueError, TypeError) as exc:
            message = describe_failure(exc, block, self.spec, self.threshold, self.from_logits)
            raise ColumnError(message) from exc
        replicates = None
        if self.n_resamples:
            # A cluster's rows share their draws, wherever they are: the key is the cluster's.
            row_id = block.row_id if block.cluster_key is None else block.cluster_key
            if row_id is None:
                row_id = np.arange(first_row, first_row + block.n_rows, dtype=np.int64)
            replicates = replicate_block(
                block, row_id, self.threshold, self.from_logits, self.n_resamples, self.seed
            )
        sketch = None
        if self.n_bins:
            sketch = ScoreSketch(
                counts.n_labels, n_bins=self.n_bins, from_logits=self.from_logits
            ).update(block.truth, block.scores, sample_weight=block.weight)
        return Partial(counts, replicates, block.where, sketch)

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
