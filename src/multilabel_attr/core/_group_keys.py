"""The ``groups`` argument read and checked: the one reading of group arrays (`group_arrays`)
and the one check of their keys (`group_keys`), shared by the sliced evaluation, the
per-group threshold search and the engines' group columns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

GroupKey = bool | int | str
"""One value of a group array: a bool, an int or a string."""


@dataclass(frozen=True)
class Groups:
    """Validated group arrays: the distinct keys and each row's key.

    ``keys`` holds one tuple per distinct combination of the group arrays (one value per
    array, several arrays crossed), in sorted order; ``codes[i]`` is the index in ``keys`` of
    row ``i``.
    """

    keys: tuple[tuple[GroupKey, ...], ...]
    codes: NDArray[np.intp]
    n_factors: int


_KEY_KINDS = {"b": "bool", "i": "int", "u": "int", "U": "str"}


def group_arrays(groups: Any, name: str = "groups") -> list[tuple[str, str, Any]]:
    """``(factor name, argument name, keys)`` for each group array of ``groups``, the one
    reading of every ``groups`` argument: a mapping or a data frame names its arrays (its
    columns), a list or tuple of arrays holds several (crossed; pandas Series of distinct
    names are named by them), a named Series is one factor of its name, and anything else is
    one array of keys (``None``: no arrays)."""
    if groups is None:
        return []
    if isinstance(groups, Mapping):
        if not groups:
            raise ValueError(f"{name} must name at least one group array; got an empty mapping")
        return [(str(factor), f"{name}[{factor!r}]", keys) for factor, keys in groups.items()]
    columns = getattr(groups, "columns", None)
    if columns is not None and len(getattr(groups, "shape", ())) == 2:  # pandas, polars
        if not len(columns):
            raise ValueError(f"{name} must hold at least one group column; got a frame of none")
        return [(str(column), f"{name}[{column!r}]", groups[column]) for column in columns]
    if isinstance(groups, (list, tuple)) and not groups:
        raise ValueError(
            f"{name} must give at least one group array; got an empty {type(groups).__name__}"
        )
    if isinstance(groups, (list, tuple)) and all(np.ndim(g) >= 1 for g in groups):
        if len(groups) == 1:
            return group_arrays(groups[0], name)
        named = [_series_name(keys) for keys in groups]
        if None in named or len(set(named)) < len(named):
            named = [f"group_{i}" for i in range(len(groups))]
        return [(str(factor), f"{name}[{i}]", keys) for i, (factor, keys) in
                enumerate(zip(named, groups))]  # fmt: skip
    return [(_series_name(groups) or "group", name, groups)]


def _series_name(values: Any) -> str | None:
    """The name of a pandas Series (a str), else None."""
    found = getattr(values, "name", None) if hasattr(values, "index") else None
    return found if isinstance(found, str) else None


def _key_kind(kind: type) -> str | None:
    # bool before int: True == 1, so mixing them would merge two groups.
    for name, types in (("bool", (bool, np.bool_)), ("int", (int, np.integer)), ("str", str)):
        if issubclass(kind, types):
            return name
    return None


def _key_values(values: Any, name: str) -> NDArray[Any]:
    """One group array as bools, int64 or strings; refuses missing, float and mixed keys."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of keys (or a sequence of such arrays, crossed); "
            f"got shape {array.shape}"
        )
    if array.dtype.kind in _KEY_KINDS:
        if array.dtype.kind == "u" and array.size and int(array.max()) > _INT64_MAX:
            _refuse_large_key(array.tolist(), name)
        return array.astype(np.int64, copy=False) if array.dtype.kind in "iu" else array
    if array.dtype.kind == "f" and np.isnan(array).any():
        row = int(np.flatnonzero(np.isnan(array))[0])
        raise ValueError(f"{name} holds NaN at row {row}; every sample needs a group key")
    if array.dtype.kind != "O":
        raise TypeError(
            f"{name} must hold bools, ints or strings; got dtype {array.dtype}"
            + (" (convert float keys to int or str)" if array.dtype.kind == "f" else "")
        )
    items = array.tolist()
    kinds = {_key_kind(t) for t in set(map(type, items))}
    if None in kinds:
        row, value = next((r, v) for r, v in enumerate(items) if _key_kind(type(v)) is None)
        missing = type(value).__name__ in ("NAType", "NaTType")  # pandas' missing values
        if value is None or missing or (isinstance(value, float) and math.isnan(value)):
            raise ValueError(f"{name} holds {value!r} at row {row}; every sample needs a group key")
        raise TypeError(
            f"{name} must hold bools, ints or strings; got {type(value).__name__} {value!r} "
            f"at row {row}"
        )
    if len(kinds) > 1:
        raise TypeError(
            f"{name} mixes key types ({', '.join(sorted(k or '' for k in kinds))}); "
            "use one type per array"
        )
    kind = kinds.pop() or "str" if kinds else "str"
    try:
        return np.asarray(items, dtype={"bool": bool, "int": np.int64, "str": str}[kind])
    except OverflowError:  # an int key outside int64: find it only then
        _refuse_large_key(items, name)
        raise


_INT64_MAX = 2**63 - 1


def _refuse_large_key(items: list[Any], name: str) -> None:
    """Raise when an int key lies outside int64, the type int keys are counted and stored
    in (naming the first such key)."""
    for row, value in enumerate(items):
        if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
            raise ValueError(
                f"{name} holds the int key {value} at row {row}, outside the 64-bit signed "
                "range that int keys are stored in; use smaller ints or string keys"
            )


def group_keys(values: Any, name: str, n_samples: int | None) -> tuple[NDArray[Any], str]:
    """One group array checked: its keys (bools, int64 or strings) and their kind
    (``"bool"``, ``"int"`` or ``"str"``); ``n_samples`` rows unless ``None``."""
    keys = _key_values(values, name)
    if n_samples is not None and keys.shape[0] != n_samples:
        raise ValueError(f"{name} must have one key per sample ({n_samples}); got {keys.shape[0]}")
    return keys, {"b": "bool", "i": "int"}.get(keys.dtype.kind, "str")


def check_groups(groups: Any, n_samples: int | None, name: str = "groups") -> Groups:
    """Validate one 1-D array of group keys, or several (crossed), for ``n_samples`` rows
    (``None``: as many as the first array has).

    Keys are bools, ints or strings, one type per array; missing keys (None, NaN), float keys
    and arrays of the wrong length are refused with an error naming the array.
    """
    factor_keys: list[list[GroupKey]] = []
    factor_codes: list[NDArray[np.intp]] = []
    arrays = group_arrays(groups, name)
    if not arrays:
        raise ValueError(f"{name} must give at least one array of group keys; got None")
    for _, array_name, values in arrays:
        keys, _ = group_keys(values, array_name, n_samples)
        n_samples = keys.shape[0]
        distinct, codes = np.unique(keys, return_inverse=True)
        factor_keys.append(distinct.tolist())
        factor_codes.append(codes.reshape(-1).astype(np.intp))
    if len(factor_codes) == 1:
        return Groups(tuple((key,) for key in factor_keys[0]), factor_codes[0], 1)
    combined, codes = np.unique(np.stack(factor_codes), axis=1, return_inverse=True)
    crossed = tuple(
        tuple(factor_keys[f][int(c)] for f, c in enumerate(column)) for column in combined.T
    )
    return Groups(crossed, codes.reshape(-1).astype(np.intp), len(factor_keys))
