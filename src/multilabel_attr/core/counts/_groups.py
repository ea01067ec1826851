"""Slice keys: the ``groups`` argument read into one slice number per row.

Group keys come as one or several 1-D arrays (read by ``group_arrays``: a mapping or a
data frame names them; several are crossed)
and as label columns of the data itself (``slice_labels``).  Each key array holds ints,
strings or bools, checked by the core's one group check (``group_keys``, shared with the
per-group thresholds): ``None``, ``NaN``, floats, other types and mixed types are refused
with an error naming the argument.  A slice key is a tuple with one
plain Python value per factor, in factor order; the overall slice is the empty tuple.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._errors import InputError
from .._group_keys import group_keys
from .._validation import (
    PerGroupThresholds,
    binary_mask,
    check_int,
    check_probability_threshold,
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
SliceKey = tuple[Any, ...]

DEFAULT_MAX_SLICES = 1000
"""Slices allowed by default; a larger ``max_slices`` must be asked for (each slice holds
its own counts)."""

OVERALL = "overall"
"""The name of the slice of all rows."""

KEY_KINDS = ("int", "str", "bool")


@dataclass(frozen=True)
class SliceIndex:
    """The slices of one batch: factor names, key kinds, the keys present (sorted) and the
    slice number of each row (an index into ``keys``, in the smallest unsigned integer type
    that holds it: a 1-byte number per row is cheap to read in every counting block)."""

    factors: tuple[str, ...]
    kinds: tuple[str, ...]
    keys: tuple[SliceKey, ...]
    codes: NDArray[Any]


def slice_name(factors: Sequence[str], key: SliceKey) -> str:
    """A slice's display name: ``"Male=1, Young=0"``; ``"overall"`` for the empty key."""
    if not key:
        return OVERALL
    return ", ".join(f"{factor}={value}" for factor, value in zip(factors, key))


def check_max_slices(max_slices: Any) -> int:
    """Validate ``max_slices`` (a positive int)."""
    return check_int(max_slices, "max_slices", minimum=1)


def check_min_slice_size(min_slice_size: Any) -> int:
    """Validate ``min_slice_size`` (a non-negative int)."""
    return check_int(min_slice_size, "min_slice_size", minimum=0)


_DENSE_RANGE = 1 << 22


def _factorize_ints(values: IntArray) -> tuple[IntArray, IntArray]:
    """Sorted distinct values and each value's rank among them; a count over the range when
    it is small (one linear pass), a sort otherwise."""
    if values.size == 0:
        return values.astype(np.int64), values.astype(np.int64)
    low, high = int(values.min()), int(values.max())
    if high - low >= _DENSE_RANGE:
        unique, inverse = np.unique(values, return_inverse=True)
        return unique.astype(np.int64), inverse.reshape(-1).astype(np.int64)
    shifted = values - low if low else values
    seen = np.bincount(shifted, minlength=high - low + 1) > 0
    if seen.all():  # every value in the range occurs (0/1 keys, crossed slice numbers)
        return np.arange(low, high + 1, dtype=np.int64), shifted.astype(np.int64, copy=False)
    rank = np.cumsum(seen) - 1
    return (np.flatnonzero(seen) + low).astype(np.int64), rank[shifted].astype(np.int64)


def _position_type(n_combinations: int) -> np.dtype[Any]:
    """The smallest unsigned integer type holding ``0..n_combinations - 1`` (int64 past 16
    bits)."""
    if n_combinations <= 1 << 8:
        return np.dtype(np.uint8)
    if n_combinations <= 1 << 16:
        return np.dtype(np.uint16)
    return np.dtype(np.int64)


def _crossed_codes(combined: NDArray[Any], n_combinations: int) -> tuple[IntArray, NDArray[Any]]:
    """``_factorize_ints`` of crossed positions, each in ``0..n_combinations - 1``: no pass
    to find their range."""
    if n_combinations >= _DENSE_RANGE:
        return _factorize_ints(combined)
    if n_combinations <= _FEW and combined.dtype == np.uint8:
        # A few byte-sized positions: a comparison each is cheaper than counting all rows.
        seen = np.array([np.any(combined == c) for c in range(n_combinations)], np.bool_)
    else:
        seen = np.bincount(combined, minlength=n_combinations) > 0
    if seen.all():
        return np.arange(n_combinations, dtype=np.int64), combined
    rank = np.cumsum(seen) - 1
    return np.flatnonzero(seen).astype(np.int64), rank[combined].astype(combined.dtype)


_FEW = 16


_CHUNK_ROWS = 1 << 16
_UNSEEN = 255


def _packed_rows(points: NDArray[np.uint32]) -> tuple[NDArray[np.uint64], int] | None:
    """Each string (a row of code points) as one integer, equal for equal strings only, and
    the bytes per code point: the code points narrowed to 8 or 16 bits and read as one
    little-endian word; None when they do not fit in 8 bytes."""
    n, width = points.shape
    top = int(points.max(initial=0))
    size = 1 if top < 1 << 8 else 2
    if top >= 1 << 16 or width * size > 8:
        return None
    narrow = np.dtype(np.uint8 if size == 1 else np.uint16)
    # Rows of width * size bytes one after another, then zeros: the word read at the start
    # of a row holds it in its low bytes (and the next row's first bytes, masked off).
    buffer = np.zeros(n * width * size + 8, np.uint8)
    np.copyto(buffer[: n * width * size].view(narrow).reshape(n, width), points, "unsafe")
    words = np.ndarray((n,), np.dtype("<u8"), buffer, strides=(width * size,))
    packed = np.bitwise_and(words, np.uint64((1 << (8 * width * size)) - 1))
    return packed, size


def _pack_key(point_row: NDArray[np.uint32], size: int) -> int | None:
    """One string's code points packed as `_packed_rows` packs them with ``size`` bytes per
    code point; None when one does not fit (then it equals no packed row)."""
    if int(point_row.max(initial=0)) >= 1 << (8 * size):
        return None
    return sum(int(p) << (8 * size * i) for i, p in enumerate(point_row.tolist()))


def _chunk_matcher(keys: NDArray[Any], rows: slice) -> Any:
    """A function telling which rows of the chunk ``rows`` hold the key of row ``i`` (any row
    of ``keys``).  Strings are compared as one integer each when their code points fit in 8
    bytes, else as their columns of code points (numpy pads them with zeros), both much
    cheaper than comparing them as strings."""
    if keys.dtype.kind != "U" or not keys.flags.c_contiguous or keys.dtype.itemsize == 0:
        chunk = keys[rows]
        return lambda i: chunk == keys[i]
    points = keys.view(np.uint32).reshape(keys.size, -1)
    chunk_points = points[rows]
    packed = _packed_rows(chunk_points)
    if packed is not None:
        words, size = packed

        def same_packed(i: int) -> NDArray[np.bool_]:
            key = _pack_key(points[i], size)
            return np.zeros(words.size, np.bool_) if key is None else words == np.uint64(key)

        return same_packed

    def same_columns(i: int) -> NDArray[np.bool_]:
        same: NDArray[np.bool_] = chunk_points[:, 0] == points[i, 0]
        for column in range(1, points.shape[1]):
            same &= chunk_points[:, column] == points[i, column]
        return same

    return same_columns


def _mark(out: NDArray[np.uint8], same: NDArray[np.bool_], number: int) -> None:
    """Set ``out`` to ``number`` where ``same`` (``out`` holds `_UNSEEN` there: a row matches
    one key only); a subtraction, several times cheaper than a masked write."""
    np.subtract(out, same.view(np.uint8) * np.uint8(_UNSEEN - number), out=out)


def _sorted_numbers(keys: NDArray[Any], firsts: list[int], out: NDArray[np.uint8]) -> None:
    """Renumber the keys first seen at ``firsts`` in sorted order, in ``firsts`` and in the
    numbers ``out`` holds.  Done after the first chunk too: the keys of most arrays are all
    in it, and then no row past it is renumbered."""
    order = np.argsort(keys[firsts], kind="stable")
    if np.array_equal(order, np.arange(order.size)):
        return
    rank = np.zeros(256, np.uint8)
    rank[order] = np.arange(order.size)
    np.take(rank, out, out=out)
    firsts[:] = [firsts[i] for i in order.tolist()]


def _few_distinct(keys: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.uint8]] | None:
    """``factorize`` by comparing with each distinct key in turn, when there are at most 16
    of them, as group columns usually have (the positions as uint8); None when there are
    more.  One pass over chunks of rows small enough to stay in cache: each chunk is
    compared with the keys seen so far, and its first row matching none is a new key."""
    codes = np.empty(keys.size, np.uint8)
    firsts: list[int] = []
    for start in range(0, keys.size, _CHUNK_ROWS):
        rows = slice(start, min(start + _CHUNK_ROWS, keys.size))
        out = codes[rows]
        out.fill(_UNSEEN)
        same_as = _chunk_matcher(keys, rows)
        for number, first in enumerate(firsts):
            _mark(out, same_as(first), number)
        while True:
            unseen = out == _UNSEEN
            row = int(np.argmax(unseen))
            if not unseen[row]:
                break
            if len(firsts) == _FEW:
                return None
            firsts.append(start + row)
            _mark(out, same_as(start + row), len(firsts) - 1)
        if start == 0:
            _sorted_numbers(keys, firsts, out)
    # Keys first seen after the first chunk may still be out of order.
    _sorted_numbers(keys, firsts, codes)
    return keys[firsts], codes


def factorize(keys: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Sorted distinct keys and each row's position among them (``np.unique`` with
    ``return_inverse``, in linear passes for bools, small-range ints and strings); the
    positions are int64, or of the keys' own integer type (uint8 for bools and a few
    distinct strings)."""
    if keys.dtype == np.bool_:
        unique, inverse = factorize(keys.view(np.uint8))
        return unique.astype(np.bool_), inverse
    if keys.dtype.kind in "iu":
        if keys.size:
            low, high = int(keys.min()), int(keys.max())
            # Python ints: the range of int64 keys may not fit in int64.
            if high - low <= 1:  # one or two values, both present (0/1 keys): no count
                return np.arange(low, high + 1, dtype=np.int64), keys - low if low else keys
        return _factorize_ints(keys.astype(np.int64, copy=False))
    found = _few_distinct(keys)
    if found is not None:
        return found
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, inverse.reshape(-1).astype(np.int64)


def slice_index(
    columns: Sequence[tuple[str, str, Any]],
    label_columns: Sequence[tuple[str, NDArray[Any]]],
    n_rows: int,
    max_slices: int,
) -> SliceIndex:
    """Cross the group arrays and slicing label columns into one slice number per row.

    ``label_columns`` pairs a label name with its column of ``y_true`` (0/1 checked here).
    """
    factors: list[str] = []
    kinds: list[str] = []
    uniques: list[NDArray[Any]] = []
    combined: NDArray[Any] | None = None
    parts = [(factor, *group_keys(keys, arg, n_rows)) for factor, arg, keys in columns]
    for label, column in label_columns:
        mask = binary_mask(column, f"slicing label {label!r} (a column of y_true)")
        # One contiguous copy: the passes that number the keys then read 1 byte per row.
        parts.append((label, np.ascontiguousarray(mask.view(np.uint8)), "int"))
    if len({factor for factor, _, _ in parts}) != len(parts):
        raise ValueError(f"groups repeat a factor name: {[factor for factor, _, _ in parts]}")
    n_combinations = 1
    for factor, keys, kind in parts:
        unique, inverse = factorize(keys)
        n_combinations *= unique.size
        # Crossed positions in the smallest integer type that holds them (less to write).
        dtype = _position_type(n_combinations)
        if combined is None:
            combined = inverse.astype(dtype, copy=False)
        else:
            combined = combined.astype(dtype, copy=False) * dtype.type(unique.size)
            np.add(combined, inverse, out=combined, casting="unsafe")
        factors.append(factor)
        kinds.append(kind)
        uniques.append(unique)
    assert combined is not None
    if len(uniques) == 1:  # every distinct key of one factor is present
        present, codes = np.arange(n_combinations), combined
    else:
        present, codes = _crossed_codes(combined, n_combinations)
    if present.size > max_slices:
        raise ValueError(
            f"groups make {present.size} slices, more than max_slices={max_slices}; pass a "
            "larger max_slices to allow them"
        )
    keys_found: list[SliceKey] = []
    for code in present.tolist():
        key: list[Any] = []
        for unique in reversed(uniques):
            code, position = divmod(code, unique.size)
            key.append(unique[position].item())
        keys_found.append(tuple(reversed(key)))
    return SliceIndex(tuple(factors), tuple(kinds), tuple(keys_found), codes.reshape(-1))


def check_key(value: Any, kind: str, name: str) -> Any:
    """A saved key value of ``kind``, or an error naming where it was read."""
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int)
        and not isinstance(value, bool)
        and -(2**63) <= value < 2**63,  # as int keys are counted: int64
        "str": isinstance(value, str),
    }.get(kind, False)
    if not ok:
        within = " within int64" if kind == "int" else ""
        raise ValueError(
            f"{name} must hold {kind} keys{within}; got {type(value).__name__} {value!r}"
        )
    return value


def _tuned_key(thresholds: PerGroupThresholds, key: SliceKey, n_label_factors: int) -> Any:
    """The key of ``thresholds`` that a slice key means.  The 0/1 of a slicing label (the last
    factors) also matches the False/True of thresholds tuned on a bool column."""
    found = key[0] if thresholds.n_factors == 1 else key
    if found in thresholds or not n_label_factors:
        return found
    cut = len(key) - n_label_factors
    as_bools = key[:cut] + tuple(bool(value) for value in key[cut:])
    other = as_bools[0] if thresholds.n_factors == 1 else as_bools
    return other if other in thresholds else found


def slice_thresholds(
    thresholds: PerGroupThresholds, index: SliceIndex, n_labels: int, n_label_factors: int = 0
) -> FloatArray:
    """Each slice's thresholds (probability scale), one row per slice key: the slices are the
    groups ``thresholds`` was tuned on, so every row of a slice shares its group's values.
    The last ``n_label_factors`` factors are slicing labels."""
    if len(index.factors) != thresholds.n_factors:
        raise InputError(
            f"threshold holds thresholds for groups of {thresholds.n_factors} group array(s); "
            f"groups gives {len(index.factors)} ({', '.join(index.factors)}). Pass the group "
            "arrays the thresholds were tuned on",
            argument="threshold",
        )
    lookup = [_tuned_key(thresholds, key, n_label_factors) for key in index.keys]
    missing = [key for key in lookup if key not in thresholds]
    if missing:
        shown = ", ".join(repr(key) for key in missing[:10])
        tuned = ", ".join(repr(key) for key in list(thresholds)[:20])
        raise InputError(
            f"groups holds key(s) without thresholds: {shown}; threshold has thresholds for "
            f"the groups {tuned}",
            argument="groups",
        )
    return np.stack(
        [check_probability_threshold(thresholds[key], n_labels, f"threshold[{key!r}]")
         for key in lookup]
    )  # fmt: skip
