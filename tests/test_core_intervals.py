"""Intervals on every number: resampled AUROC/AP, fast DeLong, BCa, simultaneous bands and the
cluster bootstrap, each against an independent reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml
from multilabel_attr.core.ranking._resampled import ranked_labels, resampled_auroc_ap
from multilabel_attr.core.report._bootstrap import Design, Rows, _resample_all
from multilabel_attr.core.report._intervals import multiplicities, simultaneous_bounds
from multilabel_attr.core.report._jackknife import jackknife_metrics

sk = pytest.importorskip("sklearn.metrics")


def _data(
    n: int = 300, n_labels: int = 4, seed: int = 0, decimals: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random((n, n_labels)) < np.linspace(0.1, 0.5, n_labels)
    score = np.clip(0.35 * y + 0.65 * rng.random((n, n_labels)), 0, 1)
    if decimals is not None:  # coarse scores: many ties within and across the classes
        score = np.round(score, decimals)
    return y, score


@pytest.mark.parametrize("decimals", [None, 1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_resampled_auroc_ap_equal_sklearn_with_multiplicities_as_weights(
    decimals: int | None, weighted: bool, dtype: type
) -> None:
    y, score = _data(n=250, decimals=decimals, seed=1)
    score = (score - 0.5).astype(dtype)  # negative scores too, sorted by their bits in float32
    weight = multiplicities(np.random.default_rng(2), 6, y.shape[0])
    if weighted:
        weight = weight * np.random.default_rng(3).random(y.shape[0])
    auroc, ap = resampled_auroc_ap(ranked_labels(y, score), weight)
    for b in range(weight.shape[0]):
        for j in range(y.shape[1]):
            expected_auc = sk.roc_auc_score(y[:, j], score[:, j], sample_weight=weight[b])
            expected_ap = sk.average_precision_score(y[:, j], score[:, j], sample_weight=weight[b])
            assert auroc[b, j] == pytest.approx(expected_auc, abs=1e-12)
            assert ap[b, j] == pytest.approx(expected_ap, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 40),
    values=st.integers(1, 5),
    seed=st.integers(0, 2**31 - 1),
)
def test_resampled_auroc_ap_equal_the_exact_functions_on_any_ties(
    n: int, values: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random((n, 2)) < 0.5
    score = rng.integers(0, values, size=(n, 2)).astype(np.float64)
    weight = multiplicities(rng, 3, n)
    auroc, ap = resampled_auroc_ap(ranked_labels(y, score), weight)
    for b in range(3):
        rows = np.repeat(np.arange(n), weight[b].astype(int))
        for j in range(2):
            t, s = y[rows, j], score[rows, j]
            if t.any() and not t.all():
                assert auroc[b, j] == pytest.approx(sk.roc_auc_score(t, s), abs=1e-12)
            else:
                assert np.isnan(auroc[b, j])
            if t.any():
                assert ap[b, j] == pytest.approx(sk.average_precision_score(t, s), abs=1e-12)
            else:
                assert np.isnan(ap[b, j])


def test_bootstrap_report_resamples_ranking_and_keeps_point_values() -> None:
    y, score = _data(n=400)
    report = ml.bootstrap_report(y, score, n_resamples=200, seed=0)
    plain = ml.evaluate(y, score, zero_division=0)
    assert report.summary == plain.summary
    assert report.per_label == plain.per_label
    for column in ("auroc", "average_precision"):
        for name, value in zip(report.label_names, report.per_label[column]):
            low, high = report.intervals[f"{column}:{name}"]
            assert low < value < high
            assert high - low < 0.3


def test_bootstrap_ranking_replicates_equal_recomputation_on_the_resampled_rows() -> None:
    y, score = _data(n=150, decimals=1, seed=5)
    truth, pred = y, score >= 0.5
    ((_, per_label),) = _resample_all(
        truth, [pred], Design(None, None, y.shape[0]), 3, 11, ranked_labels(y, score)
    )
    weight = multiplicities(np.random.default_rng(11), 3, y.shape[0])
    for b in range(3):
        rows = np.repeat(np.arange(y.shape[0]), weight[b].astype(int))
        np.testing.assert_allclose(
            per_label["auroc"][b], sk.roc_auc_score(y[rows], score[rows], average=None), atol=1e-12
        )
        np.testing.assert_allclose(
            per_label["average_precision"][b],
            sk.average_precision_score(y[rows], score[rows], average=None),
            atol=1e-12,
        )


# -- fast DeLong ----------------------------------------------------------------------------


def _delong_reference(
    truth: np.ndarray, scores: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's AUROCs and covariance matrix from the O(m * n) kernel of every pair."""
    v10, v01, aucs = [], [], []
    for s in scores:
        pos, neg = s[truth], s[~truth]
        psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
        aucs.append(psi.mean())
    m, n = len(v10[0]), len(v01[0])
    s10 = np.atleast_2d(np.cov(np.array(v10)))
    s01 = np.atleast_2d(np.cov(np.array(v01)))
    return np.array(aucs), s10 / m + s01 / n


@pytest.mark.parametrize("decimals", [None, 1])
def test_delong_variance_equals_the_pairwise_reference(decimals: int | None) -> None:
    y, a = _data(n=500, seed=7, decimals=decimals)
    _, b = _data(n=500, seed=8, decimals=decimals)
    b = np.where(y, b * 0.8, b)  # a second model, correlated through y
    single = ml.delong_interval(y, a, confidence_level=0.9)
    paired = ml.delong_test(y, a, b)
    np.testing.assert_allclose(single.auroc, sk.roc_auc_score(y, a, average=None), atol=1e-12)
    for j in range(y.shape[1]):
        aucs, cov = _delong_reference(y[:, j], [a[:, j], b[:, j]])
        assert single.auroc[j] == pytest.approx(aucs[0], abs=1e-12)
        assert abs(single.std_error[j] ** 2 - cov[0, 0]) < 1e-10
        variance = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
        assert abs(paired.std_error[j] ** 2 - variance) < 1e-10
        assert paired.difference[j] == pytest.approx(aucs[0] - aucs[1], abs=1e-12)
        z = (aucs[0] - aucs[1]) / np.sqrt(variance)
        from scipy.stats import norm

        assert paired.p_value[j] == pytest.approx(2 * norm.sf(abs(z)), rel=1e-9)
        half = norm.ppf(0.95) * single.std_error[j]
        assert single.low[j] == pytest.approx(single.auroc[j] - half, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(4, 60), values=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_delong_on_float32_scores_with_ties_equals_the_pairwise_reference(
    n: int, values: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random((n, 2)) < 0.5
    y[:2] = [[True, True], [False, False]]  # both classes in every label
    y[2:4] = y[:2]  # two of each: the variance is defined
    # Negative scores and zeros of both signs: the float32 sort orders their bits.
    a = (rng.integers(-values, values + 1, size=(n, 2)) / values).astype(np.float32)
    a[rng.random((n, 2)) < 0.2] = -0.0
    b = np.where(y, a, rng.integers(0, values, size=(n, 2)) / values).astype(np.float32)
    single, paired = ml.delong_interval(y, a), ml.delong_test(y, a, b)
    for j in range(2):
        aucs, cov = _delong_reference(y[:, j], [a[:, j], b[:, j]])
        assert single.auroc[j] == pytest.approx(aucs[0], abs=1e-12)
        assert abs(single.std_error[j] ** 2 - cov[0, 0]) < 1e-10
        variance = max(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1], 0.0)
        assert abs(paired.std_error[j] ** 2 - variance) < 1e-10


def test_delong_interval_labels_with_too_few_of_a_class() -> None:
    # Nine labels run as several tasks; a label with one positive has an AUROC but no
    # variance, and one without positives has neither (with a warning).
    rng = np.random.default_rng(3)
    y = rng.random((300, 9)) < 0.4
    y[:, 4] = False
    y[7, 4] = True
    y[:, 6] = False
    s = y + rng.normal(size=y.shape)
    with pytest.warns(UserWarning, match="label_6"):
        result = ml.delong_interval(y, s, label_names=[f"label_{j}" for j in range(9)])
    for j in range(9):
        if j == 6:
            assert np.isnan(result.auroc[j]) and np.isnan(result.std_error[j])
            continue
        assert result.auroc[j] == pytest.approx(sk.roc_auc_score(y[:, j], s[:, j]), abs=1e-12)
        if j == 4:
            assert np.isnan(result.std_error[j]) and np.isnan(result.low[j])
        else:
            _, cov = _delong_reference(y[:, j], [s[:, j]])
            assert abs(result.std_error[j] ** 2 - cov[0, 0]) < 1e-10


def test_delong_test_of_a_model_with_itself_finds_no_difference() -> None:
    y, a = _data(n=200)
    result = ml.delong_test(y, a, a)
    assert np.all(result.difference == 0) and np.all(result.p_value == 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"confidence_level": 1.0}, "confidence_level"), ({"label_names": ["a"]}, "label_names")],
)
def test_delong_rejects_bad_options(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    y, a = _data(n=50)
    with pytest.raises((ValueError, TypeError), match=match):
        ml.delong_interval(y, a, **kwargs)
    with pytest.raises(ValueError, match="y_score"):
        ml.delong_test(y, a, a[:, :2])


# -- BCa ------------------------------------------------------------------------------------


def _scipy_bca(data: tuple[np.ndarray, ...], statistic, replicates: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """scipy's BCa interval of ``statistic`` on our replicates (its own jackknife)."""
    stats = pytest.importorskip("scipy.stats")
    given = stats._resampling.BootstrapResult(
        confidence_interval=None, bootstrap_distribution=replicates, standard_error=None
    )
    result = stats.bootstrap(
        data, statistic, n_resamples=0, bootstrap_result=given, method="BCa",
        paired=len(data) > 1, vectorized=False, confidence_level=0.95,
    )  # fmt: skip
    return np.array([result.confidence_interval.low, result.confidence_interval.high])


def test_bca_equals_scipy_on_the_same_replicates() -> None:
    y, score = _data(n=160, n_labels=2, seed=9)
    pred = score >= 0.5
    report = ml.bootstrap_report(y, score, n_resamples=300, seed=4, method="bca")
    ((summary, per_label),) = _resample_all(
        y, [pred], Design(None, None, y.shape[0]), 300, 4, ranked_labels(y, score)
    )
    j = 1

    def f1(t: np.ndarray, p: np.ndarray) -> float:
        return float(sk.f1_score(t, p, zero_division=0))

    expected = _scipy_bca((y[:, j], pred[:, j]), f1, per_label["f1"][:, j])
    np.testing.assert_allclose(report.intervals["f1:label_1"], expected, atol=1e-12)

    def auroc(t: np.ndarray, s: np.ndarray) -> float:
        return float(sk.roc_auc_score(t, s))

    expected = _scipy_bca((y[:, j], score[:, j]), auroc, per_label["auroc"][:, j])
    np.testing.assert_allclose(report.intervals["auroc:label_1"], expected, atol=1e-12)

    def f1_samples(rows: np.ndarray) -> float:  # rows stand for the 2-D samples
        return float(sk.f1_score(y[rows], pred[rows], average="samples", zero_division=0))

    expected = _scipy_bca((np.arange(y.shape[0]),), f1_samples, summary["f1_samples"])
    np.testing.assert_allclose(report.intervals["f1_samples"], expected, atol=1e-12)

    def hamming(rows: np.ndarray) -> float:
        return float(sk.hamming_loss(y[rows], pred[rows]))

    expected = _scipy_bca((np.arange(y.shape[0]),), hamming, summary["hamming_loss"])
    np.testing.assert_allclose(report.intervals["hamming_loss"], expected, atol=1e-12)


@pytest.mark.parametrize("clustered", [False, True])
def test_paired_bca_equals_scipy_on_the_same_replicates(clustered: bool) -> None:
    # scipy's BCa of the difference, with its own jackknife (of rows, or of whole clusters
    # when the data it resamples are the cluster ids), on our replicates of the difference.
    y, good = _data(n=120, n_labels=3, seed=21)
    bad = np.random.default_rng(22).random(y.shape)
    pred_a, pred_b = good >= 0.5, bad >= 0.5
    cluster = np.arange(120) // 3 if clustered else None
    result = ml.paired_bootstrap(
        y, good, bad, n_resamples=300, seed=4, method="bca", cluster=cluster,
        metrics=["f1_samples", "hamming_loss", "f1_macro"],
    )  # fmt: skip
    design = Design.of(None, cluster, 120)
    (res_a, _), (res_b, _) = _resample_all(y, [pred_a, pred_b], design, 300, 4)
    units = np.arange(40 if clustered else 120)

    def rows_of(picked: np.ndarray) -> np.ndarray:
        return (3 * picked[:, None] + np.arange(3)).ravel() if clustered else picked

    references = {
        "f1_samples": lambda t, p: sk.f1_score(t, p, average="samples", zero_division=0),
        "hamming_loss": sk.hamming_loss,
        "f1_macro": lambda t, p: sk.f1_score(t, p, average="macro", zero_division=0),
    }
    for name, metric in references.items():

        def difference(picked: np.ndarray, metric=metric) -> float:  # type: ignore[no-untyped-def]
            rows = rows_of(picked)
            return float(metric(y[rows], pred_a[rows]) - metric(y[rows], pred_b[rows]))

        expected = _scipy_bca((units,), difference, res_a[name] - res_b[name])
        comparison = result[name]
        assert comparison.method == "bca"
        assert comparison.difference == pytest.approx(difference(units), abs=1e-12)
        np.testing.assert_allclose(comparison.interval, expected, atol=1e-12)


def test_paired_bca_differs_from_the_percentile_interval_only_in_its_bounds() -> None:
    y, good = _data(n=200, seed=23)
    bad = np.random.default_rng(24).random(y.shape)
    percentile = ml.paired_bootstrap(y, good, bad, n_resamples=200, seed=1)
    bca = ml.paired_bootstrap(y, good, bad, n_resamples=200, seed=1, method="bca")
    assert percentile.keys() == bca.keys()
    for name, plain in percentile.items():
        assert (plain.difference, plain.p_value) == (bca[name].difference, bca[name].p_value)
        assert plain.method == "percentile"
    assert any(percentile[k].interval != bca[k].interval for k in percentile)
    with pytest.raises(ValueError, match=r"method must be one of 'percentile' .* got 'basic'"):
        ml.paired_bootstrap(y, good, bad, n_resamples=10, method="basic")


@pytest.mark.parametrize("weighted", [False, True])
def test_leave_one_cluster_out_values_equal_recomputation(weighted: bool) -> None:
    y, score = _data(n=90, seed=12, decimals=1)
    pred = score >= 0.5
    rng = np.random.default_rng(13)
    cluster = rng.integers(0, 12, size=y.shape[0])
    weights = rng.random(y.shape[0]) + 0.5 if weighted else None
    design = Design.of(weights, cluster, y.shape[0])
    summary, per_label = jackknife_metrics(Rows.of(y, pred), design, y, score)
    for c, left in enumerate(np.unique(cluster)):
        keep = cluster != left
        w = None if weights is None else weights[keep]
        expected = ml.evaluate(y[keep], pred[keep], threshold=None, zero_division=0,
                               sample_weight=w, ranking=False)  # fmt: skip
        for key, value in expected.summary.items():
            assert summary[key][c] == pytest.approx(value, abs=1e-12), key
        np.testing.assert_allclose(per_label["mcc"][c], expected.per_label["mcc"], atol=1e-12)
        np.testing.assert_allclose(
            per_label["auroc"][c],
            sk.roc_auc_score(y[keep], score[keep], average=None, sample_weight=w),
            atol=1e-12,
        )


# -- simultaneous bands and the cluster bootstrap ---------------------------------------------


def test_simultaneous_band_takes_the_finite_sample_order_statistic() -> None:
    # 19 replicates of two columns around 0: the 95% critical value is the
    # ceil(20 * 0.95) = 19th smallest of the per-replicate maxima, that is the largest.
    rng = np.random.default_rng(31)
    replicates = rng.normal(size=(19, 2)) * [1.0, 3.0]
    point = np.zeros(2)
    se = replicates.std(axis=0, ddof=1)
    critical = np.max(np.abs(replicates) / se, axis=1).max()
    low, high = simultaneous_bounds(replicates, point, 0.95)
    np.testing.assert_allclose(high, critical * se, rtol=1e-15)
    np.testing.assert_allclose(low, -critical * se, rtol=1e-15)
    # 99 replicates at 90%: the 90th smallest of 99.
    replicates = rng.normal(size=(99, 3))
    se = replicates.std(axis=0, ddof=1)
    critical = np.sort(np.max(np.abs(replicates) / se, axis=1))[89]
    np.testing.assert_allclose(simultaneous_bounds(replicates, point[:1].repeat(3), 0.9)[1],
                               critical * se, rtol=1e-15)  # fmt: skip


def test_simultaneous_band_studentises_by_the_jackknife_standard_error() -> None:
    # Leave-one-out means of 5 values: the jackknife SE of a mean is the textbook
    # s / sqrt(n); it replaces the replicates' SD in the maximum and in the band.
    rng = np.random.default_rng(32)
    data = rng.normal(size=(5, 2)) * [1.0, 4.0]
    jackknife = (data.sum(axis=0) - data) / 4
    se = data.std(axis=0, ddof=1) / np.sqrt(5)
    replicates = rng.normal(size=(39, 2)) * [0.5, 2.0]
    point = data.mean(axis=0)
    # ceil(40 * 0.95) = 38th smallest of the 39 maxima.
    critical = np.sort(np.max(np.abs(replicates - point) / se, axis=1))[37]
    low, high = simultaneous_bounds(replicates, point, 0.95, jackknife)
    np.testing.assert_allclose(high - point, critical * se, rtol=1e-12)
    np.testing.assert_allclose(point - low, critical * se, rtol=1e-12)
    # A column whose leave-one-out values do not vary keeps the replicates' SD.
    flat = jackknife.copy()
    flat[:, 1] = 0.3
    se_mixed = np.array([se[0], replicates[:, 1].std(ddof=1)])
    critical = np.sort(np.max(np.abs(replicates - point) / se_mixed, axis=1))[37]
    high = simultaneous_bounds(replicates, point, 0.95, flat)[1]
    np.testing.assert_allclose(high - point, critical * se_mixed, rtol=1e-12)


def test_simultaneous_band_is_wider_than_each_pointwise_interval() -> None:
    y, score = _data(n=500, n_labels=8)
    pointwise = ml.bootstrap_report(y, score, n_resamples=300, seed=1)
    band = ml.bootstrap_report(y, score, n_resamples=300, seed=1, simultaneous=True)
    for name in pointwise.label_names:
        for column in ("f1", "auroc"):
            low, high = pointwise.intervals[f"{column}:{name}"]
            band_low, band_high = band.intervals[f"{column}:{name}"]
            assert band_low < low and high < band_high
    assert band.intervals["f1_samples"] == pointwise.intervals["f1_samples"]


def test_cluster_of_single_rows_is_the_row_bootstrap() -> None:
    y, score = _data(n=200)
    rows = ml.bootstrap_report(y, score, n_resamples=100, seed=3)
    clusters = ml.bootstrap_report(y, score, n_resamples=100, seed=3, cluster=np.arange(200))
    assert rows.intervals == clusters.intervals
    again = ml.bootstrap_report(y, score, n_resamples=100, seed=3, cluster=np.arange(200) // 5)
    assert again.intervals == ml.bootstrap_report(
        y, score, n_resamples=100, seed=3, cluster=[f"id{i // 5:03d}" for i in range(200)]
    ).intervals


def test_cluster_resamples_equal_recomputation_on_the_drawn_clusters() -> None:
    y, score = _data(n=120, seed=14)
    pred = score >= 0.5
    cluster = np.arange(120) // 4
    design = Design.of(None, cluster, 120)
    ((summary, per_label),) = _resample_all(y, [pred], design, 2, 6, ranked_labels(y, score))
    drawn = multiplicities(np.random.default_rng(6), 2, 30)
    for b in range(2):
        rows = np.repeat(np.arange(120), drawn[b, cluster].astype(int))
        expected = ml.evaluate(y[rows], pred[rows], threshold=None, zero_division=0, ranking=False)
        assert summary["f1_samples"][b] == pytest.approx(expected.summary["f1_samples"], abs=1e-12)
        np.testing.assert_allclose(
            per_label["auroc"][b], sk.roc_auc_score(y[rows], score[rows], average=None), atol=1e-12
        )


def test_paired_bootstrap_by_cluster_is_deterministic() -> None:
    y, good = _data(n=300, seed=2)
    bad = np.random.default_rng(0).random(y.shape)
    ids = np.arange(300) // 10
    a = ml.paired_bootstrap(y, good, bad, cluster=ids, n_resamples=200, seed=5)
    b = ml.paired_bootstrap(y, good, bad, cluster=ids, n_resamples=200, seed=5)
    assert a == b and a["f1_samples"].interval[0] > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "basic"}, ValueError, r"method must be one of 'percentile' .* got 'basic'"),
        ({"simultaneous": 1}, TypeError, r"simultaneous must be True or False \(a bool\); got int"),
        ({"cluster": np.zeros(7)}, ValueError, r"cluster must be 1-D with one group id per"),
        ({"cluster": np.full(30, np.nan)}, ValueError, "cluster must not contain NaN"),
        ({"confidence_level": "0.9"}, TypeError, "confidence_level must be a number"),
    ],
)
def test_bootstrap_report_rejects_bad_interval_options(
    kwargs: dict, error: type, match: str  # type: ignore[type-arg]
) -> None:
    y, score = _data(n=30)
    with pytest.raises(error, match=match):
        ml.bootstrap_report(y, score, n_resamples=10, **kwargs)
