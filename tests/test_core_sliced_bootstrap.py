"""Intervals on slices and gaps: the counter-based Poisson replicates, checked replicate by
replicate against scikit-learn metrics weighted by the same draws."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml
from multilabel_attr.core._internal import cluster_keys, poisson_multiplicities

skm = pytest.importorskip("sklearn.metrics")

SEED, B, LEVEL = 11, 40, 0.9


def _data(seed: int = 0, n: int = 240) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, 3)) < 0.45
    y_score = np.clip(0.3 * y_true + 0.7 * rng.random((n, 3)), 0, 1)
    return {"y_true": y_true, "y_pred": y_score >= 0.5, "y_score": y_score,
            "site": rng.choice(["a", "b", "c"], n), "weight": rng.random(n) + 0.5}  # fmt: skip


def _replicate_values(d: dict[str, Any], rows: Any, weighted: bool) -> dict[str, Any]:
    """sklearn's F1 per label and samples F1 of each replicate, weighted by the draws."""
    ids = np.flatnonzero(rows)
    draws = poisson_multiplicities(SEED, ids.astype(np.int64), B).astype(np.float64)
    if weighted:
        draws = draws * d["weight"][ids]
    truth, pred = d["y_true"][ids], d["y_pred"][ids]
    f1 = np.array([[skm.f1_score(truth[:, j], pred[:, j], sample_weight=w, zero_division=0)
                    for j in range(3)] for w in draws])  # fmt: skip
    samples = np.array([skm.f1_score(truth, pred, average="samples", sample_weight=w,
                                     zero_division=0) for w in draws])  # fmt: skip
    return {"f1": f1, "f1_samples": samples}


def _tails(values: Any) -> tuple[Any, Any]:
    tail = (1 - LEVEL) / 2 * 100
    return np.nanpercentile(values, [tail, 100 - tail], axis=0)


@pytest.mark.parametrize("weighted", [False, True])
def test_slice_and_gap_intervals_equal_an_independent_replicate_loop(weighted: bool) -> None:
    d = _data()
    report = ml.bootstrap_report(
        d["y_true"], d["y_pred"], threshold=None, groups={"site": d["site"]}, n_resamples=B,
        confidence_level=LEVEL, seed=SEED, sample_weight=d["weight"] if weighted else None,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_slice = {k: _replicate_values(d, d["site"] == k, weighted) for k in "abc"}
        overall = _replicate_values(d, np.ones(len(d["site"]), bool), weighted)
    names = report.overall.label_names
    for key, values in [*(((f"site={k}"), v) for k, v in by_slice.items()), ("overall", overall)]:
        intervals = report.slice(key).intervals
        lows, highs = _tails(values["f1"])
        for j, name in enumerate(names):
            assert intervals[f"f1:{name}"] == pytest.approx((lows[j], highs[j]), abs=1e-12)
        assert intervals["f1_samples"] == pytest.approx(_tails(values["f1_samples"]), abs=1e-12)
    stacked = np.stack([v["f1"] for v in by_slice.values()], axis=1)  # (B, slices, labels)
    difference = stacked.max(axis=1) - stacked.min(axis=1)
    to_overall = np.abs(stacked - overall["f1"][:, None, :]).max(axis=1)
    ratio = stacked.min(axis=1) / stacked.max(axis=1)
    gap = report.disparity("f1")
    for j, name in enumerate(names):
        for label, values in (("difference", difference), ("difference_to_overall", to_overall),
                              ("ratio", ratio)):  # fmt: skip
            lows, highs = _tails(values)
            expected = (lows[j], highs[j])
            assert report.gap_intervals[f"{label}:f1:{name}"] == pytest.approx(expected, abs=1e-12)
            assert gap.intervals[label][j] == pytest.approx(expected, abs=1e-12)
    samples = np.stack([v["f1_samples"] for v in by_slice.values()], axis=1)
    lows, highs = _tails(samples.max(axis=1) - samples.min(axis=1))
    assert report.gap_intervals["difference:f1_samples:f1_samples"] == pytest.approx(
        (lows, highs), abs=1e-12
    )


def test_replicates_do_not_depend_on_the_slicing() -> None:
    d = _data(1)
    common = {"n_resamples": B, "seed": SEED, "confidence_level": LEVEL}
    by_site = ml.bootstrap_report(d["y_true"], d["y_score"], groups=d["site"], **common)
    by_label = ml.bootstrap_report(d["y_true"], d["y_score"], groups=np.arange(240) % 7, **common)
    for key, interval in by_site.overall.intervals.items():
        assert by_label.overall.intervals[key] == pytest.approx(interval, rel=1e-12, abs=1e-12)


def test_point_estimates_match_evaluate_and_options_are_checked() -> None:
    d = _data(2)
    report = ml.bootstrap_report(d["y_true"], d["y_score"], groups=d["site"], n_resamples=20,
                                 seed=0)  # fmt: skip
    plain = ml.evaluate(d["y_true"], d["y_score"], groups=d["site"], zero_division=0)
    assert report.slice("b").summary == plain.slice("b").summary
    assert report.confidence_level == 0.95
    with pytest.raises(ValueError, match="confidence_level must be in"):
        ml.bootstrap_report("no data", None, groups=[1], confidence_level=2)
    with pytest.raises(ValueError, match="seed must be non-negative"):
        ml.bootstrap_report(d["y_true"], d["y_score"], groups=d["site"], seed=-1)


def test_cluster_draws_are_keyed_by_the_cluster() -> None:
    """A cluster's rows share their draws: with one cluster per row keyed by its position the
    replicates are the rows' own; with clusters, each slice's intervals equal a replicate loop
    whose draws are keyed by the cluster id."""
    d = _data(2)
    n = len(d["site"])
    common = {"n_resamples": B, "seed": SEED, "confidence_level": LEVEL, "threshold": None}
    plain = ml.bootstrap_report(d["y_true"], d["y_pred"], groups=d["site"], **common)
    own = ml.bootstrap_report(
        d["y_true"], d["y_pred"], groups=d["site"], cluster=np.arange(n), **common
    )
    assert own.overall.intervals == plain.overall.intervals
    person = np.arange(n) // 4
    clustered = ml.bootstrap_report(
        d["y_true"], d["y_pred"], groups=d["site"], cluster=person, **common
    )
    rows = d["site"] == "b"
    draws = poisson_multiplicities(SEED, person[rows].astype(np.int64), B).astype(np.float64)
    truth, pred = d["y_true"][rows], d["y_pred"][rows]
    f1 = np.array([[skm.f1_score(truth[:, j], pred[:, j], sample_weight=w, zero_division=0)
                    for j in range(3)] for w in draws])  # fmt: skip
    lows, highs = _tails(f1)
    intervals = clustered.slice("b").intervals
    for j, name in enumerate(clustered.overall.label_names):
        assert intervals[f"f1:{name}"] == pytest.approx((lows[j], highs[j]), abs=1e-12)
    # String ids are keyed by a stable hash of their text: the same in every call.
    names = np.array([f"id{p}" for p in person])
    twice = [
        ml.bootstrap_report(d["y_true"], d["y_pred"], groups=d["site"], cluster=names, **common)
        for _ in range(2)
    ]
    assert twice[0].overall.intervals == twice[1].overall.intervals


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"simultaneous": True}, "with groups, intervals are percentile or BCa intervals"),
        ({"calibration": True}, "with groups, intervals are percentile or BCa intervals"),
        ({"cluster": np.zeros(5)}, "cluster must be 1-D with one group id per sample"),
    ],
)
def test_sliced_bootstrap_refuses_what_it_cannot_do(options: dict[str, Any], match: str) -> None:
    d = _data(3)
    with pytest.raises(ValueError, match=match):
        ml.bootstrap_report(d["y_true"], d["y_score"], groups=d["site"], n_resamples=B, **options)


def _f1_values(truth: Any, pred: Any, weight: Any) -> np.ndarray:
    """scikit-learn's F1 of each label, then the samples F1 (undefined as 0)."""
    per_label = [skm.f1_score(truth[:, j], pred[:, j], sample_weight=weight, zero_division=0)
                 for j in range(truth.shape[1])]  # fmt: skip
    samples = skm.f1_score(truth, pred, average="samples", sample_weight=weight, zero_division=0)
    return np.array([*per_label, samples])


def _bca_reference(replicates: Any, point: Any, jackknife: Any, level: float) -> np.ndarray:
    """Efron and Tibshirani's BCa interval (14.3) of each column, written out."""
    from statistics import NormalDist

    normal, out = NormalDist(), []
    for k in range(point.size):
        column = replicates[:, k]
        share = (np.sum(column < point[k]) + np.sum(column <= point[k])) / (2 * column.size)
        d = jackknife[:, k].mean() - jackknife[:, k]
        accel = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5)
        z0, z = normal.inv_cdf(share), normal.inv_cdf((1 - level) / 2)
        tails = [normal.cdf(z0 + (z0 + t) / (1 - accel * (z0 + t))) for t in (z, -z)]
        out.append(np.quantile(column, tails))
    return np.array(out)


@pytest.mark.parametrize("design", ["rows", "weighted", "clusters"])
def test_bca_slice_intervals_equal_a_leave_one_out_loop(design: str) -> None:
    # Each slice's BCa interval from the same Poisson replicates, its bias correction from
    # them and its acceleration from scikit-learn's F1 with one unit of the slice (a row, or
    # a cluster's rows of the slice) left out at a time; all rows likewise.
    d = _data(4, n=150)
    weight = d["weight"] if design == "weighted" else None
    cluster = np.arange(150) // 3 if design == "clusters" else None
    report = ml.bootstrap_report(
        d["y_true"], d["y_pred"], threshold=None, groups={"site": d["site"]}, n_resamples=B,
        confidence_level=LEVEL, seed=SEED, sample_weight=weight, cluster=cluster, method="bca",
    )  # fmt: skip
    draw_key = np.arange(150) if cluster is None else cluster_keys(cluster)
    units = np.arange(150) if cluster is None else cluster
    names = report.overall.label_names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key in ("site=a", "site=b", "site=c", "overall"):
            rows = np.ones(150, bool) if key == "overall" else d["site"] == key[-1]
            ids = np.flatnonzero(rows)
            truth, pred = d["y_true"][ids], d["y_pred"][ids]
            w = np.ones(ids.size) if weight is None else weight[ids]
            draws = poisson_multiplicities(SEED, draw_key[ids].astype(np.int64), B) * w
            replicates = np.array([_f1_values(truth, pred, r) for r in draws])
            point = _f1_values(truth, pred, w)
            jackknife = np.array([_f1_values(truth, pred, w * (units[ids] != u))
                                  for u in np.unique(units[ids])])  # fmt: skip
            expected = _bca_reference(replicates, point, jackknife, LEVEL)
            intervals = report.slice(key).intervals
            got = [intervals[f"f1:{name}"] for name in names] + [intervals["f1_samples"]]
            np.testing.assert_allclose(got, expected, atol=1e-12)


def _poisson_reference(seed: int, row_id: np.ndarray, n_resamples: int) -> np.ndarray:
    """The draws as defined: the Poisson(1) inverse CDF at the top 53 bits of the mixed
    counter, as a float uniform, written out without blocks or integer cuts."""
    import math

    def mix(x: np.ndarray) -> np.ndarray:
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))

    golden = np.uint64(0x9E3779B97F4A7C15)
    cdf = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(24)])[:-1]
    with np.errstate(over="ignore"):
        key = mix(np.asarray([seed], np.uint64) * golden + np.uint64(1))
        row = mix(row_id.astype(np.uint64) ^ key)
        counter = np.arange(1, n_resamples + 1, dtype=np.uint64)[:, None] * golden
        bits = mix(row[None, :] + counter)
    uniform = (bits >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))
    return np.searchsorted(cdf, uniform, side="right").astype(np.int8)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**63 - 1),
    n_rows=st.integers(0, 3_000),
    n_resamples=st.integers(1, 400),
    offset=st.integers(-(2**62), 2**62),
)
def test_poisson_draws_equal_their_definition(
    seed: int, n_rows: int, n_resamples: int, offset: int
) -> None:
    # The draws compare the raw bits with integer cuts, block by block, the rare large
    # draws by a search: the same values as the float definition, tails included.
    ids = np.arange(n_rows, dtype=np.int64) * 7919 + offset
    draws = poisson_multiplicities(seed, ids, n_resamples)
    assert draws.shape == (n_resamples, n_rows) and draws.dtype == np.int8
    np.testing.assert_array_equal(draws, _poisson_reference(seed, ids, n_resamples))
