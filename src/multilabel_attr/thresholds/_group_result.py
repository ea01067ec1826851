"""The [`GroupThresholds`][multilabel_attr.thresholds.GroupThresholds] value: one threshold
vector per group, and the overall one."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from .._io import write_text_atomic
from ..core._internal import GroupKey, check_groups
from ..core._validation import check_2d, check_finite_scores, label_name_difference
from ._result import Thresholds

FloatArray = NDArray[np.float64]

SCHEMA_NAME = "multilabel_attr.group_thresholds"
SCHEMA_VERSION = 1

Key = GroupKey | tuple[GroupKey, ...]
"""A group key: one value for one group array, a tuple of values for crossed arrays."""


def _key_tuple(key: Any, n_factors: int) -> tuple[GroupKey, ...]:
    """``key`` as a tuple of one value per group array."""
    parts = tuple(key) if isinstance(key, (tuple, list)) else (key,)
    if len(parts) != n_factors:
        raise KeyError(f"a group key has one value per group array ({n_factors}); got {key!r}")
    return tuple(p.item() if isinstance(p, np.generic) else p for p in parts)


def _shown(key: tuple[GroupKey, ...]) -> str:
    return repr(key[0]) if len(key) == 1 else repr(key)


class GroupThresholds(Mapping[Any, Thresholds]):
    """Decision thresholds tuned separately for each group, with the overall thresholds.

    Returned by [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] when it is
    given ``groups``. Each group's [`Thresholds`][multilabel_attr.thresholds.Thresholds] is the
    result of the search on that group's rows alone; ``overall`` is the search on all rows.
    Per-group thresholds need each sample's group when they are applied:
    [`apply`][multilabel_attr.thresholds.GroupThresholds.apply] takes the scores and the group
    arrays, and ``thresholds[key]`` is the plain `Thresholds` of one group, which any core metric
    accepts as ``threshold`` on that group's rows. It is a read-only mapping from group keys
    (in sorted order) to their `Thresholds`.

    Parameters
    ----------
    groups : mapping of key to Thresholds
        One entry per group. A key is a bool, int or string (one group array), or a tuple of
        them (several group arrays, crossed).
    overall : Thresholds
        The thresholds tuned on all rows.
    n_factors : int, default=1
        Number of group arrays the keys combine.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr.thresholds import optimize_thresholds
    >>> y_true = np.array([[1], [0], [0], [1], [1], [0]])
    >>> y_score = np.array([[0.9], [0.6], [0.3], [0.5], [0.4], [0.1]])
    >>> group = np.array(["a", "a", "a", "b", "b", "b"])
    >>> t = optimize_thresholds(y_true, y_score, groups=group, min_positives=1)
    >>> t["a"].values.tolist(), t["b"].values.tolist(), t.overall.values.tolist()
    ([0.75], [0.25], [0.35])
    >>> t.apply(y_score, group).ravel().tolist()
    [1, 0, 0, 1, 1, 0]
    """

    def __init__(
        self, groups: Mapping[Any, Thresholds], overall: Thresholds, *, n_factors: int = 1
    ) -> None:
        if not isinstance(overall, Thresholds):
            raise TypeError(f"overall must be a Thresholds; got {type(overall).__name__}")
        if isinstance(n_factors, bool) or not isinstance(n_factors, int) or n_factors < 1:
            raise ValueError(f"n_factors must be a positive int; got {n_factors!r}")
        table: dict[tuple[GroupKey, ...], Thresholds] = {}
        for key, thresholds in groups.items():
            parts = _key_tuple(key, n_factors)
            if not all(isinstance(p, (bool, int, str)) for p in parts):
                raise TypeError(f"group keys must be bools, ints or strings; got {key!r}")
            if not isinstance(thresholds, Thresholds):
                raise TypeError(
                    f"group {key!r} must map to a Thresholds; got {type(thresholds).__name__}"
                )
            if (
                thresholds.n_labels != overall.n_labels
                or thresholds.label_names != overall.label_names
                or thresholds.from_logits != overall.from_logits
            ):
                raise ValueError(
                    f"group {key!r} has thresholds for other labels or another scale than the "
                    "overall thresholds"
                )
            if parts in table:
                raise ValueError(f"group key {key!r} appears twice")
            table[parts] = thresholds
        if not table:
            raise ValueError("groups must hold at least one group; got none")
        kinds = {tuple(type(p) for p in key) for key in table}
        if len(kinds) > 1:
            raise TypeError(
                "group keys must have one type per group array; got "
                f"{', '.join(sorted(str(tuple(t.__name__ for t in k)) for k in kinds))}"
            )
        # True == 1 in a dict lookup: the types keep bool keys apart from int keys.
        self._kinds = kinds.pop()
        self._table = table
        self.overall = overall
        self.n_factors = n_factors

    # -- lookup ------------------------------------------------------------------------------

    @property
    def label_names(self) -> tuple[str, ...] | None:
        return self.overall.label_names

    @property
    def n_labels(self) -> int:
        return self.overall.n_labels

    def __len__(self) -> int:
        return len(self._table)

    def __iter__(self) -> Iterator[Key]:
        """The group keys: values for one group array, tuples for crossed arrays."""
        return iter([k[0] if self.n_factors == 1 else k for k in self._table])

    def _known(self, parts: tuple[GroupKey, ...]) -> bool:
        return parts in self._table and tuple(type(p) for p in parts) == self._kinds

    def __contains__(self, key: object) -> bool:
        try:
            return self._known(_key_tuple(key, self.n_factors))
        except KeyError:
            return False

    def __getitem__(self, key: Any) -> Thresholds:
        parts = _key_tuple(key, self.n_factors)
        if not self._known(parts):
            raise KeyError(
                f"no thresholds for group {key!r}; groups: {', '.join(map(_shown, self._table))}"
            )
        return self._table[parts]

    # -- use ---------------------------------------------------------------------------------

    def values_for(
        self, groups: Any, *, unknown: Literal["raise", "overall"] = "raise"
    ) -> FloatArray:
        """Each sample's thresholds (on the scale of the scores), shape (n_samples, n_labels).

        Parameters
        ----------
        groups : array-like or sequence of array-like
            The group arrays, as given to the search (same number of arrays, crossed alike).
        unknown : {"raise", "overall"}, default="raise"
            What a key without tuned thresholds gets: an error naming the keys, or the
            overall thresholds.

        Raises
        ------
        ValueError
            Unknown keys (with ``unknown="raise"``), another number of group arrays, or
            group arrays that are not 1-D arrays of bools, ints or strings.
        """
        if unknown not in ("raise", "overall"):
            raise ValueError(f"unknown must be 'raise' or 'overall'; got {unknown!r}")
        return self._rows(check_groups(groups, None), unknown)

    def _rows(self, index: Any, unknown: str) -> FloatArray:
        if index.n_factors != self.n_factors:
            raise ValueError(
                f"groups must hold {self.n_factors} group array(s), as when the thresholds "
                f"were tuned; got {index.n_factors}"
            )
        missing = [key for key in index.keys if not self._known(key)]
        if missing and unknown == "raise":
            shown = ", ".join(map(_shown, missing[:10]))
            raise ValueError(
                f"groups holds keys without tuned thresholds: {shown}; tuned groups: "
                f"{', '.join(map(_shown, self._table))}. Pass unknown='overall' to give them "
                "the overall thresholds."
            )
        table = np.stack(
            [(self._table[key] if self._known(key) else self.overall).values for key in index.keys]
        )
        rows: FloatArray = table[index.codes]
        return rows

    def apply(
        self, scores: Any, groups: Any, *, unknown: Literal["raise", "overall"] = "raise"
    ) -> NDArray[np.uint8]:
        """Binary predictions ``scores >= thresholds of the sample's group`` as uint8 0/1.

        Parameters
        ----------
        scores : array-like of shape (n_samples, n_labels)
            Scores on the scale the thresholds were tuned on. A data frame's column names must
            equal the label names the thresholds were tuned with (same order).
        groups : array-like or sequence of array-like
            Each sample's group keys, as given to the search.
        unknown : {"raise", "overall"}, default="raise"
            See [`values_for`][multilabel_attr.thresholds.GroupThresholds.values_for].

        Returns
        -------
        ndarray of uint8, shape (n_samples, n_labels)
        """
        if unknown not in ("raise", "overall"):
            raise ValueError(f"unknown must be 'raise' or 'overall'; got {unknown!r}")
        columns = getattr(scores, "columns", None)
        if columns is not None and self.label_names is not None:
            names = tuple(str(c) for c in columns)
            if names != self.label_names:
                raise ValueError(
                    "scores has columns for other labels than the thresholds were tuned for: "
                    f"{label_name_difference(self.label_names, names)}"
                )
        array = check_2d(scores, "scores")
        if array.shape[1] != self.n_labels:
            raise ValueError(
                f"scores must have one column per label ({self.n_labels}); got shape {array.shape}"
            )
        check_finite_scores(array, "scores")
        rows = self._rows(check_groups(groups, array.shape[0]), unknown)
        result: NDArray[np.uint8] = (array >= rows).view(np.uint8)
        return result

    # -- persistence ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary: the overall and each group's
        [`Thresholds.to_dict`][multilabel_attr.thresholds.Thresholds.to_dict]."""
        return {
            "schema": SCHEMA_NAME,
            "version": SCHEMA_VERSION,
            "n_factors": self.n_factors,
            "overall": self.overall.to_dict(),
            "groups": [
                {"key": list(key), "thresholds": thresholds.to_dict()}
                for key, thresholds in self._table.items()
            ],
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, label_names: Sequence[str] | None = None
    ) -> GroupThresholds:
        """Rebuild from [`to_dict`][multilabel_attr.thresholds.GroupThresholds.to_dict];
        ``label_names`` must match the stored names if given."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA_NAME:
            raise ValueError(f"not a group thresholds document (expected schema {SCHEMA_NAME!r})")
        if data.get("version") != SCHEMA_VERSION:
            raise ValueError(
                f"unsupported group thresholds schema version {data.get('version')!r}; this "
                f"version of multilabel_attr reads version {SCHEMA_VERSION}"
            )
        try:
            overall = Thresholds.from_dict(data["overall"], label_names=label_names)
            groups = {
                tuple(entry["key"]): Thresholds.from_dict(entry["thresholds"])
                for entry in data["groups"]
            }
            n_factors = data["n_factors"]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"group thresholds document is malformed: {exc!r}") from exc
        return cls(groups, overall, n_factors=n_factors)

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write to ``path`` as JSON (versioned schema), atomically."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        write_text_atomic(path, text + "\n")

    @classmethod
    def from_json(
        cls, path: str | os.PathLike[str], *, label_names: Sequence[str] | None = None
    ) -> GroupThresholds:
        """Read a file written by [`to_json`][multilabel_attr.thresholds.GroupThresholds.to_json];
        a `ValueError` is raised unless ``label_names`` (when given) equal the stored names."""
        with open(path, encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{os.fspath(path)!r} is not valid JSON: {exc}") from exc
        return cls.from_dict(data, label_names=label_names)

    # -- display -------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GroupThresholds):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = [_shown(key) for key in self._table]
        if len(shown) > 6:
            shown = [*shown[:3], "...", *shown[-2:]]
        return (
            f"GroupThresholds({len(self._table)} groups: {', '.join(shown)}; "
            f"overall={self.overall!r})"
        )
