"""Which columns hold what, and turning a block of rows into validated numpy arrays.

Labels and scores are either one array column (a list per row) or a list of
scalar columns (one per label); an optional weight column and an optional
integer row-id column complete the picture.  Every engine (local Parquet, Dask,
Spark) hands this module Arrow record batches, or numpy blocks, and gets back
the same three 2-D/1-D arrays; every error names the column and the place
(file and row group, or partition) where the bad value was found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import InputError, cluster_keys, group_keys

FloatArray = NDArray[np.float64]


class ColumnError(InputError):
    """A column is missing, malformed or holds an invalid value (an
    [`InputError`][multilabel_attr.InputError] with its ``column`` set where known)."""


class Place(str):
    """Where a block of rows comes from: the text that messages show, and as fields the
    ``file`` and ``row_group``, or the ``partition``, that errors carry."""

    places: dict[str, Any]

    def __new__(cls, text: str, **places: Any) -> Place:
        place = super().__new__(cls, text)
        place.places = places
        return place


@dataclass(frozen=True)
class ColumnSpec:
    """Where the labels, scores, weights, row ids and cluster ids live in a table.

    ``labels`` and ``scores`` are one array-column name or a sequence of scalar
    column names (one per label, in label order).
    """

    labels: str | tuple[str, ...]
    scores: str | tuple[str, ...]
    weight: str | None = None
    row_id: str | None = None
    groups: tuple[str, ...] = ()
    """Columns whose values slice the rows (several are crossed); a label column among them
    slices by that label and is left out of the counted labels."""
    cluster: str | None = None

    @classmethod
    def build(
        cls,
        labels: Any,
        scores: Any,
        weight: Any = None,
        row_id: Any = None,
        groups: Any = None,
        cluster: Any = None,
    ) -> ColumnSpec:
        """Validate the column arguments of a public function."""
        spec = cls(
            _names(labels, "labels"),
            _names(scores, "scores"),
            _optional_name(weight, "weight"),
            _optional_name(row_id, "row_id"),
            () if groups is None else _as_tuple(_names(groups, "groups")),
            _optional_name(cluster, "cluster"),
        )
        if spec.row_id is not None and spec.cluster is not None:
            raise ColumnError(
                "row_id and cluster are exclusive: a cluster bootstrap draws whole clusters, "
                f"keyed by the cluster column; got row_id={row_id!r} and cluster={cluster!r}"
            )
        if (
            isinstance(spec.labels, tuple)
            and isinstance(spec.scores, tuple)
            and len(spec.labels) != len(spec.scores)
        ):
            raise ColumnError(
                f"labels and scores must name one column per label each; got "
                f"{len(spec.labels)} label columns and {len(spec.scores)} score columns"
            )
        return spec

    @property
    def columns(self) -> list[str]:
        """Every column read, each once, in a stable order."""
        names: list[str] = []
        for group in (
            self.labels, self.scores, self.weight, self.row_id, self.groups, self.cluster
        ):
            if group is None:
                continue
            for name in (group,) if isinstance(group, str) else group:
                if name not in names:
                    names.append(name)
        return names

    @property
    def n_labels(self) -> int | None:
        """The number of labels when scalar columns fix it, else ``None``."""
        for group in (self.labels, self.scores):
            if isinstance(group, tuple):
                return len(group)
        return None

    @property
    def label_names(self) -> tuple[str, ...] | None:
        """Default label names: the label columns' names, when there is one per label."""
        return self.labels if isinstance(self.labels, tuple) else None

    @property
    def slice_labels(self) -> tuple[str, ...]:
        """The group columns that are label columns (sliced by, not counted)."""
        labels = self.labels if isinstance(self.labels, tuple) else ()
        return tuple(name for name in self.groups if name in labels)

    @property
    def group_columns(self) -> tuple[str, ...]:
        """The group columns that are not label columns (read as key arrays)."""
        return tuple(name for name in self.groups if name not in self.slice_labels)

    def check_present(self, available: Sequence[str], where: str) -> None:
        """Raise naming every column of the spec that ``available`` lacks."""
        offered = set(available)
        missing = [name for name in self.columns if name not in offered]
        if missing:
            raise ColumnError(
                f"column(s) {', '.join(repr(m) for m in missing)} not found in {where}; "
                f"its columns are {list(available)}"
            )


def _names(value: Any, argument: str) -> str | tuple[str, ...]:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Sequence) and not isinstance(value, str):
        names = tuple(value)
        if names and all(isinstance(n, str) and n for n in names):
            if len(set(names)) != len(names):
                raise ColumnError(f"{argument} must not repeat a column; got {list(names)}")
            return names
    raise ColumnError(
        f"{argument} must be one array column name or a non-empty list of column names; "
        f"got {value!r}"
    )


def _as_tuple(names: str | tuple[str, ...]) -> tuple[str, ...]:
    return (names,) if isinstance(names, str) else names


def _optional_name(value: Any, argument: str) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    raise ColumnError(f"{argument} must be a column name or None; got {value!r}")


@dataclass(frozen=True)
class Block:
    """A block of rows as numpy arrays (labels and scores of shape (rows, labels))."""

    truth: NDArray[Any]
    scores: NDArray[Any]
    weight: FloatArray | None
    row_id: NDArray[np.int64] | None
    where: str
    groups: dict[str, NDArray[Any]] | None = None
    """Each group column's keys (checked), by column name; ``None`` without groups."""
    cluster_key: NDArray[np.int64] | None = None
    """Each row's cluster as a 64-bit key (a cluster bootstrap draws by it), or None."""

    @property
    def n_rows(self) -> int:
        return int(self.truth.shape[0])


def _scalar_values(column: Any, name: str, where: str) -> NDArray[Any]:
    import pyarrow as pa

    if column.null_count:
        raise ColumnError(f"column {name!r} has {column.null_count} missing value(s) in {where}")
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
            or pa.types.is_boolean(column.type)):  # fmt: skip
        raise ColumnError(
            f"column {name!r} must be numeric or boolean; got type {column.type} in {where}"
        )
    return np.asarray(column.to_numpy(zero_copy_only=False))


def _matrix(batch: Any, group: str | tuple[str, ...], width: int | None, where: str) -> Any:
    """A (rows, labels) array from one array column or from one scalar column per label."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(group, tuple):
        columns = [_scalar_values(batch.column(name), name, where) for name in group]
        # Column-major, so that each column is one contiguous copy (a row-major target
        # would take a strided write per column, several times slower).
        out = np.empty((batch.num_rows, len(group)), np.result_type(*columns), order="F")
        for index, values in enumerate(columns):
            out[:, index] = values
        return out
    column = batch.column(group)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)
            or pa.types.is_fixed_size_list(kind)):  # fmt: skip
        hint = (
            " (Dask turns object columns into strings: store arrays as "
            "pandas.ArrowDtype(pyarrow.list_(pyarrow.float64())))"
            if pa.types.is_string(kind) or pa.types.is_large_string(kind)
            else ""
        )
        raise ColumnError(
            f"column {group!r} must be an array column (a list of numbers per row) or be "
            f"given as a list of scalar columns; got type {kind} in {where}{hint}"
        )
    if column.null_count:
        raise ColumnError(f"column {group!r} has {column.null_count} missing row(s) in {where}")
    lengths = np.asarray(pc.list_value_length(column).to_numpy(zero_copy_only=False))
    expected = width if width is not None else (int(lengths[0]) if lengths.size else 0)
    wrong = np.flatnonzero(lengths != expected)
    if wrong.size:
        row = int(wrong[0])
        raise ColumnError(
            f"column {group!r} has {wrong.size} row(s) whose array length differs from "
            f"{expected} (the number of labels) in {where}; the first is row {row} of length "
            f"{int(lengths[row])}"
        )
    values = column.flatten()
    return _scalar_values(values, group, where).reshape(batch.num_rows, expected)


def block_from_arrow(batch: Any, spec: ColumnSpec, n_labels: int | None, where: str) -> Block:
    """Arrays of one Arrow record batch (or table), validated for shape and missing values."""
    spec.check_present(batch.schema.names, where)
    width = n_labels if n_labels is not None else spec.n_labels
    truth = _matrix(batch, spec.labels, width, where)
    scores = _matrix(batch, spec.scores, width if width is not None else truth.shape[1], where)
    if scores.shape != truth.shape:
        raise ColumnError(
            f"labels and scores differ in length in {where}: labels have {truth.shape[1]} "
            f"per row and scores {scores.shape[1]}"
        )
    weight = None
    if spec.weight is not None:
        weight = _scalar_values(batch.column(spec.weight), spec.weight, where).astype(np.float64)
    row_id = None
    if spec.row_id is not None:
        ids = _scalar_values(batch.column(spec.row_id), spec.row_id, where)
        if not np.issubdtype(ids.dtype, np.integer):
            raise ColumnError(
                f"column {spec.row_id!r} must hold integers; got {ids.dtype} in {where}"
            )
        row_id = ids.astype(np.int64, copy=False)
    groups = {name: _group_keys(batch.column(name), name, where) for name in spec.group_columns}
    cluster_key = None
    if spec.cluster is not None:
        cluster_key = _cluster_keys(batch.column(spec.cluster), spec.cluster, where)
    return Block(
        truth, scores, weight, row_id, where, groups if spec.groups else None, cluster_key
    )


def _group_keys(column: Any, name: str, where: str) -> NDArray[Any]:
    """One group column's keys: ints, strings or bools, none missing (the core's check)."""
    import pyarrow as pa

    if column.null_count:
        raise ColumnError(
            f"column {name!r} (groups) has {column.null_count} missing key(s) in {where}; "
            "every row needs a group key"
        )
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    kind = column.type
    if not (pa.types.is_integer(kind) or pa.types.is_boolean(kind) or pa.types.is_string(kind)
            or pa.types.is_large_string(kind)):  # fmt: skip
        raise ColumnError(
            f"column {name!r} (groups) must hold ints, strings or bools; got type {kind} "
            f"in {where}"
        )
    try:
        keys, _ = group_keys(column.to_numpy(zero_copy_only=False), f"column {name!r}", None)
    except ValueError as error:  # an int key outside int64
        raise ColumnError(f"{error} (in {where})") from None
    return keys


def _cluster_keys(column: Any, name: str, where: str) -> NDArray[np.int64]:
    """Integer cluster ids as they are; strings as a stable 64-bit hash of their UTF-8 bytes
    (the same in every process, unlike Python's ``hash``)."""
    import pyarrow as pa

    if column.null_count:
        raise ColumnError(f"column {name!r} has {column.null_count} missing value(s) in {where}")
    if pa.types.is_integer(column.type):
        return np.asarray(column.to_numpy(zero_copy_only=False)).astype(np.int64, copy=False)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        raise ColumnError(
            f"column {name!r} must hold integer or string cluster ids; got type {column.type} "
            f"in {where}"
        )
    return cluster_keys(np.asarray(column.to_numpy(zero_copy_only=False), dtype=object))


def block_from_arrays(
    truth: Any, scores: Any, weight: Any, row_id: Any, where: str
) -> Block:
    """A block from numpy arrays (dask array chunks), with the same checks."""
    truth, scores = np.asarray(truth), np.asarray(scores)
    if truth.ndim != 2 or scores.shape != truth.shape:
        raise ColumnError(
            f"y_true and y_score must be 2-D with equal shapes in {where}; got "
            f"{truth.shape} and {scores.shape}"
        )
    return Block(
        truth,
        scores,
        None if weight is None else np.asarray(weight, np.float64).reshape(-1),
        None if row_id is None else np.asarray(row_id, np.int64),
        where,
    )
