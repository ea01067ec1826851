"""The sliced streaming state: batch by batch and merged, the report of one pass."""

from __future__ import annotations

import json

import numpy as np
import pytest

import multilabel_attr as ml

NAMES = ["Male", "Smiling", "Hat"]


def _data(seed: int = 0, n: int = 500) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, 3)) < 0.4
    y_score = np.clip(0.4 * y_true + 0.6 * rng.random((n, 3)), 0, 1)
    return y_true, y_score, rng.choice(["a", "b", "c"], n)


def test_exact_streamed_report_equals_evaluate() -> None:
    y_true, y_score, site = _data()
    first = ml.SlicedStreamingEvaluation(3, label_names=NAMES, slice_labels=["Male"], exact=True)
    second = ml.SlicedStreamingEvaluation(3, label_names=NAMES, slice_labels=["Male"], exact=True)
    first.update(y_true[:200], y_score[:200], groups={"site": site[:200]})
    second.update(y_true[200:], y_score[200:], groups={"site": site[200:]})
    state = first + second
    report = state.report(zero_division=0)
    assert report.factors == ("site", "Male")
    for name in report.groups:
        key = report.keys[name]
        rows = (site == key[0]) & (y_true[:, 0] == key[1])
        alone = ml.evaluate(y_true[rows][:, 1:], y_score[rows][:, 1:], label_names=NAMES[1:],
                            zero_division=0)  # fmt: skip
        got = report.slice(name)
        for column in ("auroc", "average_precision", "f1", "recall"):
            np.testing.assert_allclose(got.per_label[column], alone.per_label[column],
                                       rtol=1e-12)  # fmt: skip
        assert got.per_label["auroc_bound"] == [0.0, 0.0]
        assert got.summary == alone.summary
    restored = ml.SlicedStreamingEvaluation.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored.report(zero_division=0).to_dict() == report.to_dict()


def test_sketched_slices_carry_bounds_that_hold() -> None:
    y_true, y_score, site = _data(1, n=2000)
    state = ml.SlicedStreamingEvaluation(3, n_bins=64).update(y_true, y_score, groups=site)
    report = state.report(zero_division=0)
    for name in report.groups:
        rows = site == name.split("=")[1]
        exact = ml.evaluate(y_true[rows], y_score[rows], zero_division=0).per_label["auroc"]
        got = report.slice(name).per_label
        for value, bound, truth in zip(got["auroc"], got["auroc_bound"], exact):
            assert abs(value - truth) <= bound + 1e-12


def test_invalid_batches_leave_the_state_unchanged() -> None:
    y_true, y_score, site = _data(2, n=50)
    state = ml.SlicedStreamingEvaluation(3).update(y_true, y_score, groups=site)
    before = state.to_dict()
    bad = y_score.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="y_score"):
        state.update(y_true, bad, groups=site)
    with pytest.raises(ValueError, match="groups must have one key per sample"):
        state.update(y_true, y_score, groups=site[:10])
    wider = np.hstack([y_true, y_true[:, :1]]), np.hstack([y_score, y_score[:, :1]])
    with pytest.raises(ValueError, match="batch has 4 labels; this state counts 3"):
        state.update(*wider, groups=site)
    assert state.to_dict() == before
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        ml.SlicedStreamingEvaluation(3, from_logits="yes")  # type: ignore[arg-type]


def test_reporting_leaves_each_state_as_it_was_saved() -> None:
    # A report names unnamed labels label_0 ...; the state itself keeps no names, so a
    # merged state reported and then saved still loads (its slices once came back named and
    # were refused as counting other labels).
    rng = np.random.default_rng(43)

    def rows(keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y_true = (rng.random((100, 3)) < 0.4).astype(np.int64)
        return y_true, rng.random((100, 3)), rng.choice(keys, 100)

    first, second = ml.SlicedStreamingEvaluation(3), ml.SlicedStreamingEvaluation(3)
    for keys, state in ((["x"], first), (["x", "y"], first), (["z"], second), (["y", "z"], second)):
        y_true, y_score, groups = rows(keys)
        state.update(y_true, y_score, groups=groups)
    streamed = ml.StreamingEvaluation(3)
    streamed.update(*rows(["x"])[:2])
    for state in (first, first.merge(second), streamed):
        saved = state.to_dict()
        report = state.report(zero_division=0)
        overall = report if isinstance(report, ml.Report) else report.slice("overall")
        assert overall.label_names == ("label_0", "label_1", "label_2")
        assert state.to_dict() == saved, type(state).__name__
        loaded = type(state).from_dict(json.loads(json.dumps(saved)))
        assert loaded.report(zero_division=0).to_dict() == report.to_dict()
