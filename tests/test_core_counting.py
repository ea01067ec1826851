"""The blocked, word-wise counting pass equals a direct count, for every block split."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.core.counts import _counting


def _reference(
    y_true: np.ndarray, pred: np.ndarray, sample_weight: np.ndarray | None
) -> dict[str, Any]:
    truth = y_true == 1
    w = np.ones(len(truth)) if sample_weight is None else sample_weight
    tp = (w[:, None] * (truth & pred)).sum(axis=0)
    fp = (w[:, None] * (~truth & pred)).sum(axis=0)
    fn = (w[:, None] * (truth & ~pred)).sum(axis=0)
    tn = (w[:, None] * (~truth & ~pred)).sum(axis=0)
    triples: Counter[tuple[int, int, int]] = Counter()
    weights: Counter[tuple[int, int, int]] = Counter()
    for row_t, row_p, weight in zip(truth, pred, w, strict=True):
        key = (int((row_t & row_p).sum()), int((~row_t & row_p).sum()),
               int((row_t & ~row_p).sum()))  # fmt: skip
        triples[key] += 1
        weights[key] += weight
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, "triples": triples, "weights": weights}


def _check(state: ml.MultilabelCounts, ref: dict[str, Any]) -> None:
    for name in ("tp", "fp", "fn", "tn"):
        np.testing.assert_allclose(getattr(state, name), ref[name], rtol=1e-12, atol=1e-9,
                                   err_msg=name)  # fmt: skip
    tp, fp, fn = _counting.decode_triples(state.sample_keys, state.n_labels)
    got = {
        (int(a), int(b), int(c)): int(n)
        for a, b, c, n in zip(tp, fp, fn, state.sample_count, strict=True)
    }
    assert got == dict(ref["triples"])
    got_w = {
        (int(a), int(b), int(c)): float(w)
        for a, b, c, w in zip(tp, fp, fn, state.sample_weight, strict=True)
    }
    for key, weight in ref["weights"].items():
        assert got_w[key] == pytest.approx(weight, rel=1e-12, abs=1e-9)


@pytest.fixture(
    params=[(1 << 9, 1), (1 << 12, 2), (1 << 20, 3)], ids=["tiny-1", "small-2", "big-3"]
)
def blocks(request: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cells, workers = request.param
    monkeypatch.setattr(_counting, "_BLOCK_CELLS", cells)
    monkeypatch.setattr(_counting, "worker_count", lambda n: max(1, min(workers, n)))


@pytest.mark.usefixtures("blocks")
@pytest.mark.parametrize("n_labels", [1, 7, 8, 9, 40, 300])
@pytest.mark.parametrize("weighted", [False, True])
def test_counts_match_reference(n_labels: int, weighted: bool) -> None:
    rng = np.random.default_rng(n_labels)
    n = 1100 if n_labels < 300 else 600
    y_true = (rng.random((n, n_labels)) < 0.4).astype(np.uint8)
    y_score = rng.random((n, n_labels)).astype(np.float32)
    sw = rng.uniform(0, 2, n) if weighted else None
    ref = _reference(y_true, y_score.astype(np.float64) >= 0.3, sw)
    state = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.3, sample_weight=sw)
    _check(state, ref)
    hard = ml.MultilabelCounts.from_batch(
        y_true.astype(bool), (y_score >= np.float32(0.3)).astype(np.int64), sample_weight=sw
    )
    _check(hard, _reference(y_true, y_score >= np.float32(0.3), sw))


def test_very_wide_rows_use_the_fallback_popcount() -> None:
    rng = np.random.default_rng(0)
    y_true = (rng.random((40, 2100)) < 0.6).astype(np.uint8)
    y_pred = (rng.random((40, 2100)) < 0.6).astype(np.uint8)
    _check(ml.MultilabelCounts.from_batch(y_true, y_pred), _reference(y_true, y_pred == 1, None))


@pytest.mark.usefixtures("blocks")
@pytest.mark.parametrize(
    "true_dtype", [np.bool_, np.uint8, np.int8, np.int64, np.uint16, np.float32, np.float64]
)
@pytest.mark.parametrize("score_dtype", [np.float16, np.float32, np.float64, np.int32])
def test_input_dtypes(true_dtype: Any, score_dtype: Any) -> None:
    rng = np.random.default_rng(1)
    y_true = (rng.random((700, 5)) < 0.5).astype(true_dtype)
    if score_dtype == np.int32:
        y_score = rng.integers(-5, 5, (700, 5)).astype(np.int32)
        kwargs: dict[str, Any] = {"threshold": 0.5, "from_logits": True}
        pred = y_score >= 0
    else:
        y_score = rng.integers(0, 9, (700, 5)).astype(score_dtype) / score_dtype(8)
        kwargs = {"threshold": 0.5}
        pred = y_score.astype(np.float64) >= 0.5
    state = ml.MultilabelCounts.from_batch(y_true, y_score, **kwargs)
    _check(state, _reference(y_true.astype(np.int64), pred, None))


@pytest.mark.usefixtures("blocks")
def test_bad_values_in_a_late_block_are_reported() -> None:
    y_true = np.zeros((3000, 4), np.int64)
    y_score = np.full((3000, 4), 0.25)
    y_true[2999, 3] = 2
    with pytest.raises(ValueError, match="y_true must contain only 0 and 1; found 2"):
        ml.f1_score(y_true, y_score, threshold=0.5)
    y_true[2999, 3] = 0
    y_score[2500:2503, 1] = np.nan
    with pytest.raises(ValueError, match="found 3 NaN or infinite"):
        ml.f1_score(y_true, y_score, threshold=0.5)
    y_score[2500:2503, 1] = 0.2
    y_score[10, 0] = 1.25
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*\[0.2, 1.25\]"):
        ml.f1_score(y_true, y_score, threshold=0.5)


@pytest.mark.usefixtures("blocks")
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_each_float_type_checks_its_probabilities_in_every_block(dtype: Any) -> None:
    # The probability check runs block by block: -0.0 and 1.0 pass; the smallest negative,
    # the next float above 1, inf and nan are each refused, in a late block.
    y_true = np.zeros((3000, 4), np.int64)
    y_true[::3, 1] = 1
    y_score = np.full((3000, 4), 0.25, dtype)
    y_score[1::3, 1] = 1.0
    y_score[2::3, 2] = -0.0
    expected = _reference(y_true, y_score.astype(np.float64) >= 0.5, None)
    _check(ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5), expected)
    tiny = np.finfo(dtype).smallest_subnormal
    above_one = np.nextafter(dtype(1), dtype(2))
    for bad, match in [(-tiny, "probabilities"), (above_one, "probabilities"),
                       (np.inf, "finite"), (-np.inf, "finite"), (np.nan, "finite")]:  # fmt: skip
        spoiled = y_score.copy()
        spoiled[2777, 3] = bad
        with pytest.raises(ValueError, match=match):
            ml.MultilabelCounts.from_batch(y_true, spoiled, threshold=0.5)
