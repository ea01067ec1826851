"""One count state per slice of the rows, filled in one counting pass.

[`SlicedCounts`][multilabel_attr.SlicedCounts] holds a
[`MultilabelCounts`][multilabel_attr.MultilabelCounts] for every slice key: per-label
confusion counts and the per-sample triple histogram of the rows of that slice, so every
metric, ``samples`` averages included, is exact per slice.  The rows are counted once by the
core's counting with a slice number per row
([`count_slices`][multilabel_attr.core.counts._counting.count_slices]), so a slice's counts
are bit for bit those of counting that slice alone (without weights; weighted sums agree
to rounding).  The state merges (engines merge partition states) and serialises like
[`MultilabelCounts`][multilabel_attr.MultilabelCounts].

Public API: ``SlicedCounts(n_labels, label_names=..., slice_labels=..., max_slices=...)``,
``update(y_true, y_pred, groups=..., threshold=..., from_logits=..., sample_weight=...)``,
``merge``/``+``, ``to_dict``/``from_dict``, ``keys``, ``names``, ``slice(key)``,
``overall``, ``sizes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray
from typing_extensions import Self

from .._group_keys import group_arrays
from .._options import validated
from .._validation import PerGroupThresholds, check_batch, check_label_names
from ._counting import BatchCounts, count_slices, merge_histograms
from ._groups import (
    DEFAULT_MAX_SLICES,
    KEY_KINDS,
    OVERALL,
    SliceIndex,
    SliceKey,
    check_key,
    slice_index,
    slice_name,
    slice_thresholds,
)
from ._layout import small_codes
from ._set_input import is_set_input
from ._state import MultilabelCounts

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SLICED_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class SlicedBatch:
    """One validated batch and the slice of each row.

    ``truth``/``pred``/``weights`` hold the input's rows and columns; the slicing label
    columns (``ignore``) are left out when counting and when reading rows (``columns``,
    ``segment``); ``thresholds`` are those of the counted labels, one row per slice with
    per-group thresholds (``slice_threshold(i)`` reads slice ``i``'s).  ``rows(i)`` gives the
    positions of slice ``i``'s rows (the bootstrap keys its draws by them).
    """

    index: SliceIndex
    truth: NDArray[Any]
    pred: NDArray[Any]
    weights: FloatArray | None
    thresholds: FloatArray | None
    all_thresholds: FloatArray | None
    from_logits: bool
    label_names: tuple[str, ...] | None
    ignore: tuple[int, ...]
    kept: tuple[int, ...]

    def _kept(self, array: NDArray[Any]) -> NDArray[Any]:
        return array[:, list(self.kept)] if self.ignore else array

    def columns(self) -> tuple[NDArray[Any], NDArray[Any]]:
        """Truth and predictions (or scores) of every row, counted labels only."""
        return self._kept(self.truth), self._kept(self.pred)

    @cached_property
    def layout(self) -> tuple[IntArray, IntArray]:
        """``(order, bounds)``: slice ``i`` holds the rows ``order[bounds[i]:bounds[i + 1]]``."""
        # Only slices read row by row (ranking columns, the bootstrap) need the rows sorted.
        codes = self.index.codes
        order = np.argsort(small_codes(codes, len(self.index.keys)), kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(codes))]).astype(np.int64)
        return order.astype(np.int64), bounds

    def slice_threshold(self, i: int) -> FloatArray | None:
        """The thresholds of slice ``i``'s counted labels."""
        if self.thresholds is None or self.thresholds.ndim == 1:
            return self.thresholds
        return self.thresholds[i]

    def rows(self, i: int) -> IntArray:
        """Positions of slice ``i``'s rows, in input order."""
        order, bounds = self.layout
        return order[int(bounds[i]) : int(bounds[i + 1])]

    def segment(self, i: int) -> tuple[NDArray[Any], NDArray[Any], FloatArray | None]:
        """Truth, predictions (or scores) and weights of slice ``i``'s rows."""
        rows = self.rows(i)
        return (
            self._kept(self.truth[rows]),
            self._kept(self.pred[rows]),
            None if self.weights is None else self.weights[rows],
        )

    def counts(self) -> list[BatchCounts]:
        """The counts of each slice, in key order, from one pass of the core's counting."""
        return count_slices(
            self.truth, self.pred, self.index.codes, len(self.index.keys),
            threshold=self.all_thresholds, from_logits=self.from_logits,
            sample_weight=self.weights, ignore=self.ignore,
        )  # fmt: skip


def slicing_columns(
    slice_labels: Sequence[str], label_names: Sequence[str] | None, n_labels: int
) -> tuple[list[int], list[int]]:
    """Positions of the slicing labels and of the labels left to count."""
    if not slice_labels:
        return [], list(range(n_labels))
    if label_names is None:
        raise ValueError(
            f"groups names label columns {list(slice_labels)}; pass label_names so they can "
            "be found"
        )
    names = list(label_names)
    missing = [name for name in slice_labels if name not in names]
    if missing:
        raise ValueError(f"groups names unknown labels {missing}; labels are {names}")
    slicing = [names.index(name) for name in slice_labels]
    if len(set(slicing)) != len(slicing):
        raise ValueError(f"groups repeats a label: {list(slice_labels)}")
    if len(slicing) == n_labels:
        raise ValueError("groups names every label; at least one label must be left to count")
    return slicing, [j for j in range(n_labels) if j not in slicing]


def split_groups(groups: Any, label_names: Sequence[str] | None) -> tuple[Any, tuple[str, ...]]:
    """``groups`` as (group arrays, slicing label names).

    A str names a label; a list of str names labels when every entry is one of
    ``label_names`` (otherwise it is one array of string keys).
    """
    if isinstance(groups, str):
        return None, (groups,)
    if (
        isinstance(groups, (list, tuple))
        and groups
        and label_names is not None
        and all(isinstance(g, str) and g in label_names for g in groups)
    ):
        return None, tuple(groups)
    return groups, ()


def prepare_sliced_batch(
    y_true: Any,
    y_pred: Any,
    *,
    groups: Any,
    slice_labels: Sequence[str],
    label_names: Sequence[str] | None,
    threshold: Any,
    from_logits: Any,
    sample_weight: Any,
    max_slices: int,
) -> SlicedBatch:
    """Validate a batch and its groups at the public boundary and order its rows by slice."""
    if is_set_input(y_true) or is_set_input(y_pred):
        raise TypeError("groups needs dense y_true and y_pred arrays; got sparse or top-k input")
    per_group = threshold if isinstance(threshold, PerGroupThresholds) else None
    # Per-group values are read once the slices are known; the scores are checked as scores.
    batch = check_batch(
        y_true, y_pred, threshold=threshold if per_group is None else 0.5,
        from_logits=from_logits, sample_weight=sample_weight,
    )  # fmt: skip
    n_rows, n_labels = batch.truth.shape
    names = check_label_names(label_names, n_labels)
    slicing, kept = slicing_columns(slice_labels, names, n_labels)
    columns = group_arrays(groups)
    if not columns and not slicing:
        raise ValueError("groups must give group arrays or label names to slice by; got None")
    labels: list[tuple[str, NDArray[Any]]] = []
    if names and slicing:
        # The slicing columns are read out together: one pass over the rows of y_true.
        chosen = batch.truth[:, slicing]
        labels = [(names[j], chosen[:, i]) for i, j in enumerate(slicing)]
    index = slice_index(columns, labels, n_rows, max_slices)
    # Per-group thresholds: one row of thresholds per slice (its group's).
    every = (
        batch.thresholds
        if per_group is None
        else slice_thresholds(per_group, index, n_labels, len(slicing))
    )
    return SlicedBatch(
        index, batch.truth, batch.pred, batch.weights, None if every is None else every[..., kept],
        every, batch.from_logits, None if names is None else tuple(names[j] for j in kept),
        tuple(slicing), tuple(kept),
    )  # fmt: skip


def state_of(batch: BatchCounts, n_labels: int, label_names: Any) -> MultilabelCounts:
    """A count state holding one batch's counts."""
    state = MultilabelCounts(n_labels, label_names=label_names)
    state.tp, state.fp, state.fn, state.tn = batch.tp, batch.fp, batch.fn, batch.tn
    state.sample_keys, state.sample_weight = batch.keys, batch.key_weight
    state.sample_count, state.n_samples = batch.key_count, batch.n_samples
    return state


class SlicedCounts:
    """Exact, mergeable counts of every slice of the rows, filled in one pass.

    Parameters
    ----------
    n_labels : int
        Number of label columns of the input.
    label_names : sequence of str, optional
        Names of the input's labels (needed to slice by label columns).
    slice_labels : sequence of str, optional
        Label columns whose 0/1 values are slice keys (crossed with any ``groups`` arrays).
        They are left out of the counted labels: within a slice such a label is constant,
        so its metrics there would be degenerate (recall 1 or undefined, specificity
        undefined or 1).
    max_slices : int, default=1000
        Refuse batches that would make more slices than this (each slice holds its own
        counts).

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import SlicedCounts
    >>> y_true = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    >>> y_pred = np.array([[1, 0], [1, 1], [1, 0], [0, 0]])
    >>> state = SlicedCounts(2).update(y_true, y_pred, groups={"site": ["a", "b", "a", "b"]})
    >>> state.names
    ['site=a', 'site=b']
    >>> state.slice("site=a").tp.tolist(), state.overall.n_samples
    ([2.0, 0.0], 4)
    """

    __slots__ = (
        "_kept",
        "_slices",
        "factors",
        "kinds",
        "label_names",
        "max_slices",
        "n_labels",
        "slice_labels",
    )  # fmt: skip

    @validated("n_labels", "max_slices")
    def __init__(
        self,
        n_labels: int,
        *,
        label_names: Sequence[str] | None = None,
        slice_labels: Sequence[str] | None = None,
        max_slices: int = DEFAULT_MAX_SLICES,
    ) -> None:
        self._setup(n_labels, label_names, slice_labels, max_slices)

    @classmethod
    def _empty(
        cls, n_labels: int, label_names: Any, slice_labels: Any, max_slices: int
    ) -> SlicedCounts:
        """An empty state for options already checked (the library's own path)."""
        state = cls.__new__(cls)
        state._setup(n_labels, label_names, slice_labels, max_slices)
        return state

    def _setup(self, n_labels: int, label_names: Any, slice_labels: Any, max_slices: int) -> None:
        self.n_labels = n_labels
        self.label_names = check_label_names(label_names, self.n_labels)
        labels = (slice_labels,) if isinstance(slice_labels, str) else (slice_labels or ())
        self.slice_labels = tuple(str(name) for name in labels)
        _, self._kept = slicing_columns(self.slice_labels, self.label_names, self.n_labels)
        self.max_slices = max_slices
        self.factors: tuple[str, ...] | None = None
        self.kinds: tuple[str, ...] | None = None
        self._slices: dict[SliceKey, MultilabelCounts] = {}

    @classmethod
    @validated("from_logits", "threshold", "max_slices")
    def from_batch(
        cls,
        y_true: Any,
        y_pred: Any,
        *,
        groups: Any,
        threshold: Any = None,
        from_logits: bool = False,
        sample_weight: Any = None,
        label_names: Sequence[str] | None = None,
        max_slices: int = DEFAULT_MAX_SLICES,
    ) -> SlicedCounts:
        """Count one batch into a new state.

        ``groups`` takes everything ``update`` takes, and also a label name or a list of
        label names (then ``label_names`` is needed): those label columns become the
        ``slice_labels``.
        """
        return count_sliced(
            y_true, y_pred, groups, threshold, from_logits, sample_weight, label_names, max_slices
        )[1]

    def add_batch(self, batch: SlicedBatch) -> None:
        """Add a batch prepared by ``prepare_sliced_batch`` (validated, rows ordered)."""
        if batch.truth.shape[1] != self.n_labels:
            raise ValueError(
                f"batch has {batch.truth.shape[1]} labels; this state counts {self.n_labels}"
            )
        self._check_layout(batch.index.factors, batch.index.kinds, set(batch.index.keys))
        names = self.counted_labels
        states = [state_of(c, len(self._kept), names) for c in batch.counts()]
        self.factors, self.kinds = batch.index.factors, batch.index.kinds
        for key, state in zip(batch.index.keys, states):
            old = self._slices.get(key)
            self._slices[key] = state if old is None else old.merge(state)
        self._slices = dict(sorted(self._slices.items()))

    @property
    def n_counted(self) -> int:
        """Number of labels counted in each slice (the slicing labels left out)."""
        return len(self._kept)

    @property
    def counted_labels(self) -> tuple[str, ...] | None:
        """Names of the labels counted in each slice (the slicing labels left out)."""
        if self.label_names is None:
            return None
        return tuple(self.label_names[j] for j in self._kept)

    @validated("from_logits", "threshold")
    def update(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        groups: Any = None,
        threshold: Any = None,
        from_logits: bool = False,
        sample_weight: Any = None,
    ) -> Self:
        """Add one batch; returns ``self``.  The state is unchanged if the batch is invalid.

        ``groups`` is one 1-D array of keys, a list of them, a mapping of factor names to
        them or a data frame of group columns (several are crossed), as in
        [`evaluate`][multilabel_attr.evaluate]; ``y_pred``, ``threshold``, ``from_logits`` and
        ``sample_weight`` are as in
        [`MultilabelCounts.update`][multilabel_attr.MultilabelCounts.update].
        """
        batch = prepare_sliced_batch(
            y_true, y_pred, groups=groups, slice_labels=self.slice_labels,
            label_names=self.label_names, threshold=threshold, from_logits=from_logits,
            sample_weight=sample_weight, max_slices=self.max_slices,
        )  # fmt: skip
        self.add_batch(batch)
        return self

    def _check_layout(
        self, factors: tuple[str, ...], kinds: tuple[str, ...], keys: set[SliceKey]
    ) -> None:
        if self.factors is not None and factors != self.factors:
            raise ValueError(
                f"groups must name the same factors in every batch: this state slices by "
                f"{list(self.factors)}; got {list(factors)}"
            )
        if self.kinds is not None and kinds != self.kinds:
            raise ValueError(
                f"groups mixes key types across batches: this state's keys are {list(self.kinds)}"
                f"; got {list(kinds)}"
            )
        total = len(keys | set(self._slices))
        if total > self.max_slices:
            raise ValueError(
                f"groups would make {total} slices, more than max_slices={self.max_slices}; "
                "pass a larger max_slices to allow them"
            )

    # -- access ------------------------------------------------------------------------------

    @property
    def keys(self) -> list[SliceKey]:
        """Every slice key counted, sorted (tuples with one value per factor)."""
        return list(self._slices)

    @property
    def names(self) -> list[str]:
        """Display names of the slices, in key order (``"Male=1, Young=0"``)."""
        return [slice_name(self.factors or (), key) for key in self._slices]

    @property
    def sizes(self) -> dict[str, int]:
        """Number of rows counted in each slice, by name."""
        return {name: state.n_samples for name, state in zip(self.names, self._slices.values())}

    def key_of(self, key: Any) -> SliceKey:
        """The slice key that ``key`` means: a key tuple, a name, a mapping of factor to value,
        or a bare value when there is one factor; ``()`` or ``"overall"`` for all rows."""
        factors = self.factors or ()
        if key == OVERALL or key == ():
            return ()
        if isinstance(key, dict):
            key = tuple(key.get(factor) for factor in factors)
        elif isinstance(key, str) and key in self.names:
            return self.keys[self.names.index(key)]
        elif not isinstance(key, tuple):
            key = (key,)
        if key not in self._slices:
            raise KeyError(f"unknown slice {key!r}; slices are {self.names}")
        return tuple(key)

    def slice(self, key: Any) -> MultilabelCounts:
        """The counts of one slice (see [`key_of`][multilabel_attr.core.SlicedCounts.key_of])."""
        found = self.key_of(key)
        return self.overall if found == () else self._slices[found]

    @property
    def overall(self) -> MultilabelCounts:
        """The counts of all rows: the sum of every slice's counts."""
        total = MultilabelCounts._empty(len(self._kept), self.counted_labels)
        states = list(self._slices.values())
        if not states:
            return total
        # One merge of every slice: the sums run in slice order, as merging them one by one.
        total.tp, total.fp, total.fn, total.tn = (
            np.sum([getattr(state, name) for state in states], axis=0)
            for name in ("tp", "fp", "fn", "tn")
        )
        total.sample_keys, total.sample_weight, total.sample_count = merge_histograms(
            tuple(state.sample_keys for state in states),
            tuple(state.sample_weight for state in states),
            tuple(state.sample_count for state in states),
        )
        total.n_samples = sum(state.n_samples for state in states)
        return total

    def slice_states(self) -> list[MultilabelCounts]:
        """The counts of every slice, in key order."""
        return list(self._slices.values())

    def items(self) -> list[tuple[SliceKey, MultilabelCounts]]:
        """``(key, counts)`` of every slice, in key order."""
        return list(self._slices.items())

    # -- merging and saving ------------------------------------------------------------------

    def merge(self, other: SlicedCounts) -> SlicedCounts:
        """A new state holding both states' counts, slice by slice."""
        if not isinstance(other, SlicedCounts):
            raise TypeError(f"can only merge SlicedCounts; got {type(other).__name__}")
        if (other.n_labels, other.slice_labels) != (self.n_labels, self.slice_labels):
            raise ValueError(
                "cannot merge sliced states with different labels or slice_labels: this state "
                f"counts {self.n_labels} labels sliced by labels {list(self.slice_labels)}; "
                f"the other {other.n_labels} sliced by {list(other.slice_labels)}"
            )
        merged = SlicedCounts(
            self.n_labels, label_names=self.label_names or other.label_names,
            slice_labels=self.slice_labels, max_slices=max(self.max_slices, other.max_slices),
        )  # fmt: skip
        merged._slices = dict(self._slices)
        merged.factors, merged.kinds = self.factors, self.kinds
        if other.factors is not None:
            merged._check_layout(other.factors, other.kinds or (), set(other._slices))
            merged.factors, merged.kinds = other.factors, other.kinds
        for key, state in other._slices.items():
            old = merged._slices.get(key)
            merged._slices[key] = state if old is None else old.merge(state)
        merged._slices = dict(sorted(merged._slices.items()))
        return merged

    def __add__(self, other: SlicedCounts) -> SlicedCounts:
        return self.merge(other)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SlicedCounts):
            return NotImplemented
        return bool(
            (self.n_labels, self.slice_labels, self.factors, self.kinds)
            == (other.n_labels, other.slice_labels, other.factors, other.kinds)
            and self._slices == other._slices
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"SlicedCounts(n_labels={self.n_labels}, factors={list(self.factors or ())}, "
            f"n_slices={len(self._slices)})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot; [`from_dict`][multilabel_attr.core.SlicedCounts.from_dict]
        restores it exactly."""
        return {
            "schema_version": SLICED_SCHEMA_VERSION,
            "n_labels": self.n_labels,
            "label_names": list(self.label_names) if self.label_names else None,
            "slice_labels": list(self.slice_labels),
            "max_slices": self.max_slices,
            "factors": None if self.factors is None else list(self.factors),
            "kinds": None if self.kinds is None else list(self.kinds),
            "slices": [
                {"key": list(key), "counts": state.to_dict()} for key, state in self._slices.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> SlicedCounts:
        """Rebuild a state saved by [`to_dict`][multilabel_attr.core.SlicedCounts.to_dict]; every
        field is checked and an error names it."""
        if not isinstance(data, dict) or data.get("schema_version") != SLICED_SCHEMA_VERSION:
            got = data.get("schema_version") if isinstance(data, dict) else type(data).__name__
            raise ValueError(
                f"data must come from SlicedCounts.to_dict() with schema_version "
                f"{SLICED_SCHEMA_VERSION}; got {got!r}"
            )
        missing = [f for f in ("n_labels", "slice_labels", "max_slices", "factors", "kinds",
                               "slices", "label_names") if f not in data]  # fmt: skip
        if missing:
            raise ValueError(f"data is missing field(s) {missing}")
        state = cls(
            data["n_labels"], label_names=data["label_names"], slice_labels=data["slice_labels"],
            max_slices=data["max_slices"],
        )  # fmt: skip
        factors, kinds, slices = data["factors"], data["kinds"], data["slices"]
        if factors is None or kinds is None:
            if slices:
                raise ValueError("data['factors'] and data['kinds'] are needed with slices")
            return state
        if not isinstance(factors, list) or not all(isinstance(f, str) for f in factors):
            raise ValueError(f"data['factors'] must be a list of names; got {factors!r}")
        if (
            not isinstance(kinds, list)
            or len(kinds) != len(factors)
            or not all(k in KEY_KINDS for k in kinds)
        ):
            raise ValueError(
                f"data['kinds'] must give one of {KEY_KINDS} per factor; got {kinds!r}"
            )
        if not isinstance(slices, list) or len(slices) > state.max_slices:
            raise ValueError("data['slices'] must be a list of at most max_slices slices")
        state.factors, state.kinds = tuple(factors), tuple(kinds)
        for i, entry in enumerate(slices):
            where = f"data['slices'][{i}]"
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("key"), list)
                or "counts" not in entry
            ):
                raise ValueError(f"{where} must be a dict with a 'key' list and 'counts'")
            if len(entry["key"]) != len(factors):
                raise ValueError(f"{where}['key'] must hold one value per factor {factors}")
            key = tuple(
                check_key(v, kind, f"{where}['key']") for v, kind in zip(entry["key"], kinds)
            )
            if key in state._slices:
                raise ValueError(f"{where}['key'] repeats the slice {key!r}")
            counts = MultilabelCounts.from_dict(entry["counts"])
            if counts.n_labels != len(state._kept) or counts.label_names != state.counted_labels:
                raise ValueError(f"{where}['counts'] does not count this state's labels")
            state._slices[key] = counts
        state._slices = dict(sorted(state._slices.items()))
        return state


def count_sliced(
    y_true: Any, y_pred: Any, groups: Any, threshold: Any, from_logits: bool,
    sample_weight: Any, label_names: Any, max_slices: int,
) -> tuple[SlicedBatch, SlicedCounts]:  # fmt: skip
    """Validate one batch (its options checked at the door), order its rows by slice and
    count it into a new state; ``groups`` as in
    [`SlicedCounts.from_batch`][multilabel_attr.core.SlicedCounts.from_batch]."""
    arrays, slice_labels = split_groups(groups, label_names)
    batch = prepare_sliced_batch(
        y_true, y_pred, groups=arrays, slice_labels=slice_labels, label_names=label_names,
        threshold=threshold, from_logits=from_logits, sample_weight=sample_weight,
        max_slices=max_slices,
    )  # fmt: skip
    state = SlicedCounts._empty(batch.truth.shape[1], label_names, slice_labels, max_slices)
    state.add_batch(batch)
    return batch, state
