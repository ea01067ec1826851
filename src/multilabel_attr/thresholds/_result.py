"""The [`Thresholds`][multilabel_attr.thresholds.Thresholds] value: tuned thresholds with their
provenance."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._io import write_text_atomic
from ..core._internal import validated
from ..core._validation import (
    check_2d,
    check_finite_scores,
    check_label_names,
    label_name_difference,
)

FloatArray = NDArray[np.float64]

SCHEMA_NAME = "multilabel_attr.thresholds"
SCHEMA_VERSION = 1


class ThresholdWarning(UserWarning):
    """A threshold search fell back or stopped early.

    Raised when labels have too few positives to be tuned (the message names
    them and the fallback used) and when coordinate ascent reaches
    ``max_iter`` passes before converging.
    """


def _frozen(values: Any, name: str, n: int | None = None) -> FloatArray:
    array = np.array(values, dtype=np.float64).reshape(-1)
    if n is not None and array.shape[0] != n:
        raise ValueError(f"{name} must have one value per label ({n}); got {array.shape[0]}")
    array.setflags(write=False)
    return array


def _json_float(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


class Thresholds:
    """One decision threshold per label, with what they were tuned for.

    A sample is predicted positive for label ``j`` when
    ``score[:, j] >= values[j]``.  Thresholds found by the exact search lie
    strictly between two distinct tuning scores, so ``>`` gives the same
    predictions on the tuning data.

    ``values`` are on the scale of the scores they were tuned on: logits when ``from_logits`` is
    true, otherwise the scores as given (probabilities or any other score).
    [`apply`][multilabel_attr.thresholds.Thresholds.apply] takes scores on that same scale.
    Converting to an array (``np.asarray(t)``) gives *probability-scale* thresholds
    (``sigmoid(values)`` when tuned on logits), the convention of every metric in
    `multilabel_attr.core`: ``f1_score(y, probabilities, threshold=t)`` and ``f1_score(y, logits,
    threshold=t, from_logits=True)`` both apply it.

    Parameters
    ----------
    values : array-like of shape (n_labels,)
        Finite thresholds.
    label_names : sequence of str, optional
        One unique name per label.
    metric : str, default="custom"
        Name of the metric the thresholds were tuned for.
    strategy : str, default="custom"
        ``"per_label"``, ``"shared"``, ``"coordinate"``, or ``"custom"``.
    average : str or None, optional
        Average of the tuned objective (``"macro"``, ``"micro"``, ``"samples"``).
    from_logits : bool, default=False
        Whether ``values`` are logits.
    validation_scores : array-like of shape (n_labels,), optional
        The metric of each label on the tuning data at these thresholds.
    objective : float, optional
        The tuned (averaged) objective on the tuning data.
    iterations : int, optional
        Coordinate-ascent passes.
    fallback_labels : sequence of int, default=()
        Indices of labels that were not tuned and use the fallback threshold.
    n_samples : int, optional
        Number of tuning samples.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr.thresholds import Thresholds
    >>> t = Thresholds([0.3, 0.7], label_names=["Smiling", "Bald"])
    >>> t.apply(np.array([[0.4, 0.4], [0.2, 0.9]])).tolist()
    [[1, 0], [0, 1]]
    >>> t["Bald"]
    0.7
    """

    @validated("from_logits")
    def __init__(
        self,
        values: Any,
        *,
        label_names: Sequence[str] | None = None,
        metric: str = "custom",
        strategy: str = "custom",
        average: str | None = None,
        from_logits: bool = False,
        validation_scores: Any = None,
        objective: float | None = None,
        iterations: int | None = None,
        fallback_labels: Sequence[int] = (),
        n_samples: int | None = None,
    ) -> None:
        try:
            array = _frozen(values, "values")
        except (TypeError, ValueError) as exc:
            raise TypeError(f"values must be numbers, one per label; got {values!r}") from exc
        if array.shape[0] == 0:
            raise ValueError("values must hold at least one threshold; got none")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"values must be finite; got {array.tolist()}")
        n_labels = array.shape[0]
        self.values: FloatArray = array
        self.label_names: tuple[str, ...] | None = check_label_names(label_names, n_labels)
        self.metric = str(metric)
        self.strategy = str(strategy)
        self.average = average
        self.from_logits = from_logits
        self.validation_scores: FloatArray | None = (
            None
            if validation_scores is None
            else _frozen(validation_scores, "validation_scores", n_labels)
        )
        self.objective = None if objective is None else float(objective)
        self.iterations = None if iterations is None else int(iterations)
        fallback = tuple(int(i) for i in fallback_labels)
        if any(not 0 <= i < n_labels for i in fallback):
            raise ValueError(f"fallback_labels must be label indices below {n_labels}")
        self.fallback_labels: tuple[int, ...] = fallback
        self.n_samples = None if n_samples is None else int(n_samples)

    # -- use ---------------------------------------------------------------------------------

    @property
    def n_labels(self) -> int:
        return int(self.values.shape[0])

    @property
    def probabilities(self) -> FloatArray:
        """Thresholds on the probability scale (``sigmoid(values)`` when tuned on logits)."""
        if not self.from_logits:
            return self.values
        result: FloatArray = 1.0 / (1.0 + np.exp(-self.values))
        return result

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        values = self.probabilities
        if dtype is not None:
            return values.astype(dtype)
        return values.copy() if copy else values

    def __len__(self) -> int:
        return self.n_labels

    def __getitem__(self, key: int | str) -> float:
        if isinstance(key, str):
            if self.label_names is None or key not in self.label_names:
                raise KeyError(f"no label named {key!r}; labels: {self.label_names}")
            return float(self.values[self.label_names.index(key)])
        return float(self.values[key])

    def apply(self, scores: Any) -> NDArray[np.uint8]:
        """Binary predictions ``scores >= values`` as a uint8 array of 0/1.

        Parameters
        ----------
        scores : array-like of shape (n_samples, n_labels)
            Scores on the scale the thresholds were tuned on (logits when
            ``from_logits`` is true).

        Returns
        -------
        ndarray of uint8, shape (n_samples, n_labels)

        Raises
        ------
        ValueError
            If ``scores`` is not 2-D with one column per label, or is not finite.
        """
        array = check_2d(scores, "scores")
        if array.shape[1] != self.n_labels:
            raise ValueError(
                f"scores must have one column per label ({self.n_labels}); got shape {array.shape}"
            )
        check_finite_scores(array, "scores")
        result: NDArray[np.uint8] = (array >= self.values).view(np.uint8)
        return result

    # -- persistence ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the schema of
        [`to_json`][multilabel_attr.thresholds.Thresholds.to_json])."""
        scores = self.validation_scores
        return {
            "schema": SCHEMA_NAME,
            "version": SCHEMA_VERSION,
            "values": [float(v) for v in self.values],
            "label_names": None if self.label_names is None else list(self.label_names),
            "metric": self.metric,
            "strategy": self.strategy,
            "average": self.average,
            "from_logits": self.from_logits,
            "validation_scores": None if scores is None else [_json_float(v) for v in scores],
            "objective": None if self.objective is None else _json_float(self.objective),
            "iterations": self.iterations,
            "fallback_labels": list(self.fallback_labels),
            "n_samples": self.n_samples,
        }

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, label_names: Sequence[str] | None = None
    ) -> Thresholds:
        """Rebuild from [`to_dict`][multilabel_attr.thresholds.Thresholds.to_dict]; ``label_names``
        must match the stored names if given."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA_NAME:
            raise ValueError(f"not a thresholds document (expected schema {SCHEMA_NAME!r})")
        version = data.get("version")
        if version != SCHEMA_VERSION:
            raise ValueError(
                f"unsupported thresholds schema version {version!r}; this version of "
                f"multilabel_attr reads version {SCHEMA_VERSION}"
            )
        try:
            scores = data.get("validation_scores")
            result = cls(
                data["values"],
                label_names=data.get("label_names"),
                metric=data["metric"],
                strategy=data["strategy"],
                average=data.get("average"),
                from_logits=data["from_logits"],
                validation_scores=None
                if scores is None
                else [math.nan if v is None else v for v in scores],
                objective=data.get("objective"),
                iterations=data.get("iterations"),
                fallback_labels=data.get("fallback_labels", ()),
                n_samples=data.get("n_samples"),
            )
        except KeyError as exc:
            raise ValueError(f"thresholds document lacks the field {exc.args[0]!r}") from exc
        if label_names is not None:
            expected = tuple(str(name) for name in label_names)
            if result.label_names != expected:
                stored = result.label_names
                detail = (
                    "the file stores no label names"
                    if stored is None
                    else label_name_difference(stored, expected)
                )
                raise ValueError(
                    f"thresholds were tuned for different labels than expected: {detail}"
                )
        return result

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write to ``path`` as JSON (versioned schema), atomically."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False)
        write_text_atomic(path, text + "\n")

    @classmethod
    def from_json(
        cls, path: str | os.PathLike[str], *, label_names: Sequence[str] | None = None
    ) -> Thresholds:
        """Read a file written by [`to_json`][multilabel_attr.thresholds.Thresholds.to_json].

        Parameters
        ----------
        path : str or PathLike
        label_names : sequence of str, optional
            The labels the caller will apply the thresholds to; a
            `ValueError` is raised unless they equal the stored names
            (same names, same order).
        """
        with open(path, encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{os.fspath(path)!r} is not valid JSON: {exc}") from exc
        return cls.from_dict(data, label_names=label_names)

    # -- display -------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Thresholds):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        names = self.label_names or tuple(str(i) for i in range(self.n_labels))
        shown = [f"{name}={value:.4g}" for name, value in zip(names, self.values, strict=True)]
        if len(shown) > 6:
            shown = [*shown[:3], "...", *shown[-2:]]
        parts = [
            f"{self.n_labels} label{'s' if self.n_labels != 1 else ''}",
            f"metric={self.metric!r}",
            f"strategy={self.strategy!r}",
        ]
        if self.average is not None:
            parts.append(f"average={self.average!r}")
        parts.append(f"scale={'logit' if self.from_logits else 'score'}")
        if self.objective is not None:
            parts.append(f"objective={self.objective:.4f}")
        if self.iterations is not None:
            parts.append(f"iterations={self.iterations}")
        if self.fallback_labels:
            parts.append(f"fallback_labels={len(self.fallback_labels)}")
        return f"Thresholds({', '.join(parts)}; {', '.join(shown)})"

