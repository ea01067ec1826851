"""[`Calibrator`][multilabel_attr.calibration.Calibrator]: per-label calibration maps, fitted,
applied and saved like [`Thresholds`][multilabel_attr.thresholds.Thresholds]."""

from __future__ import annotations

import json
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
    check_probabilities,
    label_name_difference,
)
from ._isotonic import isotonic_apply
from ._newton import logit_feature

FloatArray = NDArray[np.float64]

SCHEMA_NAME = "multilabel_attr.calibrator"
SCHEMA_VERSION = 1


def _sigmoid(u: FloatArray) -> FloatArray:
    e = np.exp(-np.abs(u))
    result: FloatArray = np.where(u >= 0, 1.0, e) / (1.0 + e)
    return result


def _floats(values: Any, name: str) -> FloatArray:
    try:
        array = np.array(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers; got {values!r}") from exc
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; got {array.tolist()}")
    array.setflags(write=False)
    return array


class Calibrator:
    """One calibration map per label: Platt, temperature or isotonic.

    Fit one with [`fit_calibrator`][multilabel_attr.calibration.fit_calibrator];
    [`apply`][multilabel_attr.calibration.Calibrator.apply] turns scores (or
    logits) into calibrated probabilities.

    Parameters
    ----------
    method : {"platt", "temperature", "isotonic"}
    params : dict
        ``"platt"``: ``slope`` and ``intercept``, one per label (``sigmoid(slope z +
        intercept)`` of the logit ``z``); ``"temperature"``: ``temperature``, one per
        label (``sigmoid(z / temperature)``); ``"isotonic"``: ``x`` and ``y``, one list
        of fitted points per label (probabilities in, probabilities out).
    label_names : sequence of str, optional
    from_logits : bool, default=False
        Whether the scores it was fitted on were logits; the default scale of
        [`apply`][multilabel_attr.calibration.Calibrator.apply].
    shared : bool, default=False
        One temperature for every label.
    n_samples : int, optional
        Number of fitting samples.
    iterations : int, optional
        Newton passes over the data (Platt and temperature).
    """

    @validated("from_logits", "shared", method="calibrator_method")
    def __init__(
        self,
        method: str,
        params: dict[str, Any],
        *,
        label_names: Sequence[str] | None = None,
        from_logits: bool = False,
        shared: bool = False,
        n_samples: int | None = None,
        iterations: int | None = None,
    ) -> None:
        self._setup(method, params, label_names, from_logits, shared, n_samples, iterations)

    @classmethod
    def _checked(cls, method: str, params: dict[str, Any], **settings: Any) -> Calibrator:
        """A calibrator of options already checked (a fit's own result)."""
        calibrator = cls.__new__(cls)
        settings = {"label_names": None, "from_logits": False, "shared": False,
                    "n_samples": None, "iterations": None, **settings}  # fmt: skip
        calibrator._setup(method, params, **settings)
        return calibrator

    def _setup(
        self, method: str, params: dict[str, Any], label_names: Any, from_logits: bool,
        shared: bool, n_samples: int | None, iterations: int | None,
    ) -> None:  # fmt: skip
        self.method = method
        self.params = _check_params(method, params)
        self.n_labels = len(next(iter(self.params.values())))
        self.label_names = check_label_names(label_names, self.n_labels)
        self.from_logits = from_logits
        self.shared = shared
        self.n_samples = None if n_samples is None else int(n_samples)
        self.iterations = None if iterations is None else int(iterations)

    @validated(from_logits="default_from_logits")
    def apply(
        self, y_score: Any, *, from_logits: bool | None = None, label_names: Any = None
    ) -> FloatArray:
        """Calibrated probabilities of shape (n_samples, n_labels).

        Parameters
        ----------
        y_score : array-like of shape (n_samples, n_labels)
            Probabilities, or logits with ``from_logits=True``.
        from_logits : bool, optional
            The scale of ``y_score``; by default the one the calibrator was fitted on.
        label_names : sequence of str, optional
            The labels of the columns of ``y_score``; refused unless they are the
            calibrator's labels, in the same order.
        """
        logits = self.from_logits if from_logits is None else from_logits
        self._check_labels(label_names)
        scores = check_2d(y_score, "y_score")
        if scores.shape[1] != self.n_labels:
            raise ValueError(f"y_score must have one column per label ({self.n_labels}); "
                             f"got shape {scores.shape}")  # fmt: skip
        check_finite_scores(scores, "y_score")
        scores = scores.astype(np.float64, copy=False)
        if not logits:
            check_probabilities(scores, "y_score", purpose="unless from_logits=True")
        if self.method == "isotonic":
            probs = _sigmoid(scores) if logits else scores
            columns = [
                isotonic_apply(probs[:, j], self.params["x"][j], self.params["y"][j])
                for j in range(self.n_labels)
            ]
            return np.stack(columns, axis=1)
        z = scores if logits else logit_feature(scores)
        if self.method == "platt":
            return _sigmoid(z * self.params["slope"] + self.params["intercept"])
        return _sigmoid(z / self.params["temperature"])

    def _check_labels(self, label_names: Any) -> None:
        if label_names is None:
            return
        expected = tuple(str(name) for name in label_names)
        if self.label_names is None:
            raise ValueError(
                "label_names were given but this calibrator stores none; fit it with "
                "label_names to check the columns by name"
            )
        if expected != self.label_names:
            raise ValueError(
                "label_names differ from the labels this calibrator was fitted on: "
                + label_name_difference(self.label_names, expected)
            )

    # -- persistence -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the schema of
        [`to_json`][multilabel_attr.calibration.Calibrator.to_json])."""
        params = {
            name: [np.asarray(v).tolist() for v in values] for name, values in self.params.items()
        }
        return {
            "schema": SCHEMA_NAME,
            "version": SCHEMA_VERSION,
            "method": self.method,
            "params": params,
            "label_names": None if self.label_names is None else list(self.label_names),
            "from_logits": self.from_logits,
            "shared": self.shared,
            "n_samples": self.n_samples,
            "iterations": self.iterations,
        }

    @classmethod
    def from_dict(cls, data: Any, *, label_names: Sequence[str] | None = None) -> Calibrator:
        """Rebuild from [`to_dict`][multilabel_attr.calibration.Calibrator.to_dict];
        ``label_names``, if given, must equal the stored names."""
        if not isinstance(data, dict) or data.get("schema") != SCHEMA_NAME:
            raise ValueError(f"not a calibrator document (expected schema {SCHEMA_NAME!r})")
        if data.get("version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported calibrator schema version {data.get('version')!r}; "
                             f"this version of multilabel_attr reads {SCHEMA_VERSION}")  # fmt: skip
        try:
            result = cls(
                data["method"], data["params"], label_names=data.get("label_names"),
                from_logits=bool(data["from_logits"]), shared=bool(data.get("shared", False)),
                n_samples=data.get("n_samples"), iterations=data.get("iterations"),
            )  # fmt: skip
        except KeyError as exc:
            raise ValueError(f"calibrator document lacks the field {exc.args[0]!r}") from exc
        if label_names is not None and result.label_names is None:
            raise ValueError("label_names were given but the file stores no label names")
        result._check_labels(label_names)
        return result

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write to ``path`` as JSON (versioned schema), atomically."""
        write_text_atomic(path, json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")

    @classmethod
    def from_json(
        cls, path: str | os.PathLike[str], *, label_names: Sequence[str] | None = None
    ) -> Calibrator:
        """Read a file written by [`to_json`][multilabel_attr.calibration.Calibrator.to_json];
        ``label_names``, if given, must equal the stored names (same order)."""
        with open(path, encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{os.fspath(path)!r} is not valid JSON: {exc}") from exc
        return cls.from_dict(data, label_names=label_names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calibrator):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        scope = " shared" if self.shared else ""
        return (f"Calibrator({self.method}{scope}, {self.n_labels} label"
                f"{'s' if self.n_labels != 1 else ''}, "
                f"scale={'logit' if self.from_logits else 'score'})")  # fmt: skip


def _check_params(method: str, params: Any) -> dict[str, Any]:
    names = {"platt": ("slope", "intercept"), "temperature": ("temperature",),
             "isotonic": ("x", "y")}[method]  # fmt: skip
    if not isinstance(params, dict) or set(params) != set(names):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params of a {method} calibrator must be {names}; got {got}")
    if method == "isotonic":
        xs = [_floats(v, "params['x']") for v in params["x"]]
        ys = [_floats(v, "params['y']") for v in params["y"]]
        if not xs or len(xs) != len(ys):
            raise ValueError("params 'x' and 'y' must hold one list per label each")
        for x, y in zip(xs, ys, strict=True):
            if x.size == 0 or x.size != y.size or np.any(np.diff(x) <= 0) or np.any(np.diff(y) < 0):
                raise ValueError("isotonic params need, per label, increasing x and "
                                 "non-decreasing y of the same, positive length")  # fmt: skip
        return {"x": xs, "y": ys}
    checked = {name: _floats(params[name], f"params[{name!r}]") for name in names}
    sizes = {v.size for v in checked.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError(f"params {names} must hold one value per label each")
    if method == "temperature" and np.any(checked["temperature"] <= 0):
        raise ValueError(f"temperature must be positive; got {checked['temperature'].tolist()}")
    return checked
