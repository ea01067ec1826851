"""Shared invariance tests driven by the metric registry in ``_core_helpers.REGISTRY``.

Each registered metric is checked for: label permutation (per-label values
permute, averages do not change), sample permutation, unit weights equal no
weights, integer weights equal repeated rows, and zero weights equal removed rows.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _core_helpers import REGISTRY, SUPPRESSED, MetricSpec, assert_close

SETTINGS = settings(max_examples=15, deadline=None)


def _data(seed: int, spec: MetricSpec) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(2, 16)), int(rng.integers(2, 6))
    y_true = (rng.random((n, k)) < rng.choice([0.2, 0.5, 0.8])).astype(int)
    if spec.uses_scores:
        y = rng.integers(0, 5, (n, k)) / 4  # ties on purpose
    else:
        y = (rng.random((n, k)) < 0.5).astype(int)
    return y_true, y


def _evaluate(spec: MetricSpec, y_true: Any, y: Any, **kwargs: Any) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    with warnings.catch_warnings():
        for category in SUPPRESSED:
            warnings.simplefilter("ignore", category)
        if spec.averages:
            for average in spec.averages:
                out[average] = spec(y_true, y, average, **kwargs)
        else:
            out["value"] = spec(y_true, y, **kwargs)
    return out


def _same(a: dict[Any, Any], b: dict[Any, Any], name: str) -> None:
    for key in a:
        assert_close(a[key], b[key], f"{name} {key}")


IDS = [spec.name for spec in REGISTRY]


def test_registry_covers_every_public_metric() -> None:
    import multilabel_attr as ml

    public = {
        name
        for name in ml.core.__all__
        if name.endswith(("_score", "_loss", "_error", "_corrcoef", "_accuracy", "_matrix"))
    }
    assert public == {spec.name for spec in REGISTRY}


@pytest.mark.parametrize("spec", REGISTRY, ids=IDS)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_label_permutation(spec: MetricSpec, seed: int) -> None:
    y_true, y = _data(seed, spec)
    perm = np.random.default_rng(seed).permutation(y_true.shape[1])
    base = _evaluate(spec, y_true, y)
    permuted = _evaluate(spec, y_true[:, perm], y[:, perm])
    for key, value in base.items():
        if key is None or spec.kind == "confusion":
            assert_close(permuted[key], np.asarray(value)[perm], f"{spec.name} per label")
        else:
            assert_close(permuted[key], value, f"{spec.name} {key}")


@pytest.mark.parametrize("spec", REGISTRY, ids=IDS)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_sample_permutation(spec: MetricSpec, seed: int) -> None:
    y_true, y = _data(seed, spec)
    perm = np.random.default_rng(seed + 1).permutation(y_true.shape[0])
    _same(_evaluate(spec, y_true, y), _evaluate(spec, y_true[perm], y[perm]), spec.name)


@pytest.mark.parametrize("spec", REGISTRY, ids=IDS)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_unit_weights_equal_no_weights(spec: MetricSpec, seed: int) -> None:
    y_true, y = _data(seed, spec)
    ones = np.ones(y_true.shape[0])
    _same(_evaluate(spec, y_true, y), _evaluate(spec, y_true, y, sample_weight=ones), spec.name)


@pytest.mark.parametrize("spec", REGISTRY, ids=IDS)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_integer_weights_equal_repeated_rows(spec: MetricSpec, seed: int) -> None:
    y_true, y = _data(seed, spec)
    rng = np.random.default_rng(seed + 2)
    counts = rng.integers(1, 4, y_true.shape[0])
    weighted = _evaluate(spec, y_true, y, sample_weight=counts.astype(np.float64))
    repeated = _evaluate(spec, np.repeat(y_true, counts, axis=0), np.repeat(y, counts, axis=0))
    _same(weighted, repeated, spec.name)


@pytest.mark.parametrize("spec", REGISTRY, ids=IDS)
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_zero_weights_equal_removed_rows(spec: MetricSpec, seed: int) -> None:
    y_true, y = _data(seed, spec)
    rng = np.random.default_rng(seed + 3)
    weights = rng.uniform(0.5, 2.0, y_true.shape[0])
    drop = rng.random(y_true.shape[0]) < 0.3
    drop[0] = False
    weights[drop] = 0.0
    keep = ~drop
    _same(
        _evaluate(spec, y_true, y, sample_weight=weights),
        _evaluate(spec, y_true[keep], y[keep], sample_weight=weights[keep]),
        spec.name,
    )
