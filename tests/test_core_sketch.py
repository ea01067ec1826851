"""ScoreSketch: exact mode equals the one-shot functions, bounds hold, state round-trips."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multilabel_attr import (
    ScoreSketch,
    UndefinedMetricWarning,
    average_precision_score,
    f1_score,
    roc_auc_score,
)
from multilabel_attr.core.ranking._sketch_bins import bin_index, sketch_edges

AVERAGES = (None, "macro", "weighted", "micro")


def _data(seed: int, n: int = 600, n_labels: int = 4, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    y = rng.random((n, n_labels)) < rng.uniform(0.1, 0.6, n_labels)
    logits = scale * (rng.normal(size=(n, n_labels)) + 2.0 * y - 1.0)
    return y, 1.0 / (1.0 + np.exp(-logits)), rng.uniform(0.0, 3.0, n)


def _split_sketches(y, s, w, cuts, **kwargs):
    bounds = [0, *sorted(cuts), y.shape[0]]
    parts = []
    for start, stop in itertools.pairwise(bounds):
        if stop > start:
            sketch = ScoreSketch(y.shape[1], **kwargs)
            weights = None if w is None else w[start:stop]
            parts.append(sketch.update(y[start:stop], s[start:stop], sample_weight=weights))
    return parts


def _assert_within_bound(sketch, y, s, w):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for method, one_shot in (
            (sketch.roc_auc, roc_auc_score),
            (sketch.average_precision, average_precision_score),
        ):
            for average in AVERAGES:
                estimate = method(average)
                exact = one_shot(y, s, average=average, sample_weight=w)
                error = np.abs(np.asarray(estimate.value) - exact)
                defined = ~np.isnan(exact)
                assert np.all(error[defined] <= np.asarray(estimate.bound)[defined] + 1e-12)
                assert np.array_equal(np.isnan(estimate.value), np.isnan(exact))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    cuts=st.lists(st.integers(1, 199), max_size=5),
    order=st.randoms(use_true_random=False),
    weighted=st.booleans(),
)
def test_exact_mode_equals_one_shot_for_any_split_and_merge_order(seed, cuts, order, weighted):
    y, s, w = _data(seed, n=200)
    weights = w if weighted else None
    parts = _split_sketches(y, s, weights, cuts, exact=True, n_bins=16)
    order.shuffle(parts)
    while len(parts) > 1:  # merge pairs in a random tree shape
        i = order.randrange(len(parts) - 1)
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
    sketch = parts[0]
    for average in AVERAGES:
        np.testing.assert_allclose(
            sketch.roc_auc(average).value,
            roc_auc_score(y, s, average=average, sample_weight=weights),
            rtol=0, atol=1e-12,
        )  # fmt: skip
        np.testing.assert_allclose(
            sketch.average_precision(average).value,
            average_precision_score(y, s, average=average, sample_weight=weights),
            rtol=0, atol=1e-12,
        )  # fmt: skip
        assert np.all(np.asarray(sketch.roc_auc(average).bound) == 0)


@pytest.mark.parametrize("n_bins", [2, 3, 7, 64, 1024])
@pytest.mark.parametrize("scale", [0.05, 1.0, 8.0])
def test_bound_holds_on_realistic_scores(n_bins, scale):
    y, s, w = _data(n_bins, scale=scale)
    for weights in (None, w):
        parts = _split_sketches(y, s, weights, [250], n_bins=n_bins)
        _assert_within_bound(parts[0] + parts[1], y, s, weights)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_bins=st.integers(2, 300),
    scale=st.sampled_from([0.01, 0.3, 1.0, 5.0, 40.0]),
    decimals=st.sampled_from([None, 1, 2, 3]),
    weighted=st.booleans(),
)
def test_bound_holds_for_any_distribution(seed, n_bins, scale, decimals, weighted):
    y, s, w = _data(seed, n=150, n_labels=3, scale=scale)
    if decimals is not None:  # rounding makes ties, inside bins and across them
        s = np.round(s, decimals)
    weights = w if weighted else None
    _assert_within_bound(
        ScoreSketch(3, n_bins=n_bins).update(y, s, sample_weight=weights), y, s, weights
    )


def _sigmoid(logits):
    return 1.0 / (1.0 + np.exp(-logits))


ADVERSARIAL = {
    "all ties": lambda rng, y: np.full(y.shape, 0.5),
    "two tied values": lambda rng, y: np.where(rng.random(y.shape) < 0.5, 0.3, 0.7),
    "all in one bin": lambda rng, y: 0.5 + 1e-6 * rng.random(y.shape),
    "one bin, reversed": lambda rng, y: 0.5 + 1e-6 * np.where(y, 0.1, 0.9) * rng.random(y.shape),
    "extreme logits": lambda rng, y: 1.0 / (1.0 + np.exp(-rng.normal(0, 40, y.shape))),
    "exact 0 and 1": lambda rng, y: np.where(rng.random(y.shape) < 0.5, 0.0, 1.0),
    "on the edges": lambda rng, y: rng.choice(sketch_edges(32, False)[1:-1], y.shape),
    "on the edges, version 1": lambda rng, y: rng.choice(sketch_edges(32, False, 1)[1:-1], y.shape),
    "saturated at 1": lambda rng, y: 1.0 / (1.0 + np.exp(-rng.normal(30, 8, y.shape))),
    "wide scales": lambda rng, y: _sigmoid(
        np.array([0.1, 3.0, 30.0]) * (rng.normal(size=y.shape) + np.where(y, 1.0, -1.0))
    ),
    "outer bins only": lambda rng, y: np.where(y, 1 - 1e-9 * rng.random(y.shape), 1e-9),
}


@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
def test_bound_holds_on_adversarial_scores(case):
    rng = np.random.default_rng(7)
    y = rng.random((400, 3)) < np.array([0.5, 0.1, 0.9])
    s = ADVERSARIAL[case](rng, y)
    w = rng.uniform(0, 2, 400)
    for weights in (None, w):
        sketch = ScoreSketch(3, n_bins=32).update(y, s, sample_weight=weights)
        _assert_within_bound(sketch, y, s, weights)


def test_all_ties_are_exact():
    y = np.array([[1], [0], [1], [0]])
    sketch = ScoreSketch(1, n_bins=8).update(y, np.full((4, 1), 0.25))
    assert sketch.roc_auc().value == 0.5 and sketch.roc_auc().bound == 0
    assert sketch.average_precision().value == 0.5 and sketch.average_precision().bound == 0


def test_logits_scale():
    y, s, _ = _data(3)
    logits = np.log(s) - np.log1p(-s)
    from_p = ScoreSketch(4, n_bins=64).update(y, s)
    from_z = ScoreSketch(4, n_bins=64, from_logits=True).update(y, logits)
    np.testing.assert_array_equal(from_p.pos, from_z.pos)
    np.testing.assert_allclose(from_p.roc_auc(None).value, from_z.roc_auc(None).value)
    np.testing.assert_allclose(from_z.edges[[1, -2]], [-72.0, 72.0], rtol=1e-4)
    # The middle half is uniform over [-5, 5], 20 / (n_bins - 2) apart; the tails widen.
    widths = np.diff(sketch_edges(202, True)[1:-1])
    np.testing.assert_allclose(widths[50:150], 0.1, rtol=1e-9)
    assert np.all(np.diff(widths[150:]) > 0) and widths[-1] > 5
    assert sketch_edges(64, True, 1)[1] == -10.0 and sketch_edges(64, True, 1)[-2] == 10.0


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("n_bins", [2, 3, 5, 200, 4096])
def test_bin_index_matches_searchsorted(from_logits, n_bins, dtype, version):
    rng = np.random.default_rng(0)
    edges = sketch_edges(n_bins, from_logits, version)
    inner = edges[1:-1]
    near = np.concatenate([inner, np.nextafter(inner, -np.inf), np.nextafter(inner, np.inf)])
    if from_logits:
        values = np.concatenate([near, rng.normal(0, 20, 1000), rng.normal(0, 200, 100)])
    else:
        saturated = 1.0 / (1.0 + np.exp(-rng.uniform(-60, 60, 1000)))
        values = np.concatenate([near, rng.random(1000), saturated, [0.0, 1.0, 1e-300]])
    values = values.astype(dtype).reshape(-1, 1)
    # Float32 scores are compared as the float64 numbers they are.
    expected = np.searchsorted(inner, values.astype(np.float64), side="right")
    np.testing.assert_array_equal(bin_index(values, n_bins, from_logits, version), expected)


def test_layout_version_1_loads_keeps_its_bins_and_refuses_to_merge_with_version_2():
    y, s, _ = _data(4)
    data = json.loads(json.dumps(ScoreSketch(4, n_bins=32).update(y, s).to_dict()))
    assert data["edges_version"] == 2
    # A version-1 document, as the earlier layout wrote it: its bins come from its edges.
    old_edges = sketch_edges(32, False, 1)
    index = np.searchsorted(old_edges, s, side="right") - 1
    data["edges_version"] = 1
    for name, mask in (("pos", y), ("neg", ~y)):
        counts = [np.bincount(index[mask[:, j], j], minlength=32) for j in range(4)]
        data[name] = np.array(counts, dtype=float).tolist()
    lo = np.full((4, 32), np.inf)
    hi = np.full((4, 32), -np.inf)
    for j in range(4):
        np.minimum.at(lo[j], index[:, j], s[:, j])
        np.maximum.at(hi[j], index[:, j], s[:, j])
    data["lo"] = [[None if np.isinf(v) else v for v in row] for row in lo.tolist()]
    data["hi"] = [[None if np.isinf(v) else v for v in row] for row in hi.tolist()]
    old = ScoreSketch.from_dict(data)
    assert old.edges_version == 1
    np.testing.assert_array_equal(old.edges, old_edges)
    assert old.to_dict()["edges_version"] == 1
    # Updates of a loaded version-1 sketch keep the version-1 bins, and merge exactly.
    again = old.empty_like().update(y, s)
    assert again == old and (again + old).edges_version == 1
    _assert_within_bound(old, y, s, None)
    with pytest.raises(ValueError, match="edges_version: 1 and 2"):
        old.merge(ScoreSketch(4, n_bins=32))


def test_undefined_labels_follow_the_one_shot_policy():
    y = np.array([[1, 0, 1], [1, 0, 0], [1, 0, 1]])
    s = np.array([[0.9, 0.2, 0.6], [0.3, 0.8, 0.4], [0.7, 0.6, 0.1]])
    sketch = ScoreSketch(3, n_bins=16).update(y, s)
    with pytest.warns(UndefinedMetricWarning, match="labels 0, 1"):
        auc = sketch.roc_auc(None)
    assert np.isnan(auc.value[:2]).all() and np.isnan(auc.bound[:2]).all()
    with pytest.warns(UndefinedMetricWarning, match="label 1"):
        macro = sketch.average_precision("macro")
    with pytest.warns(UndefinedMetricWarning):
        exact = average_precision_score(y, s, average="macro")
    assert abs(macro.value - exact) <= macro.bound


def test_serialisation_round_trip_and_merge_after_load():
    y, s, w = _data(5)
    sketch = ScoreSketch(4, n_bins=32, label_names="abcd").update(y, s, sample_weight=w)
    loaded = ScoreSketch.from_dict(json.loads(json.dumps(sketch.to_dict())))
    assert loaded == sketch and loaded.label_names == tuple("abcd")
    assert (loaded + sketch).n_samples == 2 * sketch.n_samples
    exact = ScoreSketch(4, exact=True).update(y, s, sample_weight=w)
    again = ScoreSketch.from_dict(json.loads(json.dumps(exact.to_dict())))
    assert again.roc_auc(None).value.tolist() == exact.roc_auc(None).value.tolist()
    empty = ScoreSketch.from_dict(json.loads(json.dumps(ScoreSketch(2, exact=True).to_dict())))
    assert empty.n_samples == 0
    tampered = exact.to_dict()
    tampered["exact_data"]["y_true"][0][0] = 1 - tampered["exact_data"]["y_true"][0][0]
    with pytest.raises(ValueError, match="exact_data"):
        ScoreSketch.from_dict(tampered)


def _tampered(change):
    y, s, _ = _data(6)
    data = json.loads(json.dumps(ScoreSketch(4, n_bins=8).update(y, s).to_dict()))
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d.update(edges_version=0), "edges_version"),
        (lambda d: d.update(edges_version=3), "edges_version"),
        (lambda d: d.update(edges_version=True), "edges_version"),
        (lambda d: d.pop("pos"), "pos"),
        (lambda d: d["neg"][0].__setitem__(3, -1.0), "neg"),
        (lambda d: d["pos"].pop(), "pos"),
        (lambda d: d.update(n_bins=1), "n_bins"),
        (lambda d: d.update(from_logits="no"), "from_logits"),
        (lambda d: d["lo"][0].__setitem__(4, 0.999999), "lo"),
        (lambda d: d.update(format="other"), "format"),
    ],
)
def test_tampered_data_is_refused_naming_the_field(change, field):
    with pytest.raises(ValueError, match=field):
        ScoreSketch.from_dict(_tampered(change))


def test_bad_input_is_refused_naming_the_argument():
    sketch = ScoreSketch(2, n_bins=8)
    with pytest.raises(ValueError, match="y_score must be finite"):
        sketch.update([[1, 0]], [[np.nan, 0.2]])
    with pytest.raises(ValueError, match="y_score must be finite"):
        sketch.update([[1, 0]], [[np.inf, 0.2]])
    with pytest.raises(ValueError, match="from_logits=True"):
        sketch.update([[1, 0]], [[1.5, 0.2]])
    with pytest.raises(ValueError, match="n_bins must be at least 2"):
        ScoreSketch(2, n_bins=1)
    with pytest.raises(ValueError, match="labels"):
        sketch.update([[1, 0, 1]], [[0.1, 0.2, 0.3]])
    for other, name in (
        (ScoreSketch(3, n_bins=8), "n_labels"),
        (ScoreSketch(2, n_bins=16), "n_bins"),
        (ScoreSketch(2, n_bins=8, from_logits=True), "from_logits"),
        (ScoreSketch(2, n_bins=8, exact=True), "exact"),
    ):
        with pytest.raises(ValueError, match=name):
            sketch.merge(other)
    with pytest.raises(TypeError, match="ScoreSketch"):
        sketch.merge(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="update"):
        sketch.roc_auc()
    assert sketch.n_samples == 0


def test_counts_at_edges_match_thresholded_counts():
    y, s, w = _data(8)
    sketch = ScoreSketch(4, n_bins=16).update(y, s, sample_weight=w)
    counts = sketch.counts_at_edges()
    for k in (0, 1, 5, 9, 16):
        threshold = counts.edges[k]
        predicted = s >= threshold
        np.testing.assert_allclose(counts.tp[:, k], w @ (predicted & y))
        np.testing.assert_allclose(counts.fp[:, k], w @ (predicted & ~y))
        np.testing.assert_allclose(counts.fn[:, k], w @ (~predicted & y))
        np.testing.assert_allclose(counts.tn[:, k], w @ (~predicted & ~y))
    lo, hi = sketch.bin_range()
    index = bin_index(s, 16, False)
    for label in range(4):
        for b in np.unique(index[:, label]):
            inside = s[index[:, label] == b, label]
            assert lo[label, b] == inside.min() and hi[label, b] == inside.max()


@pytest.mark.parametrize("metric", ["f1", "precision", "youden", "f2", "matthews"])
def test_candidate_bins_contain_every_cut_that_beats_the_edges(metric):
    y, s, _ = _data(9, n=300)
    sketch = ScoreSketch(4, n_bins=8).update(y, s)
    candidates, best_edge = sketch.candidate_bins(metric)
    index = bin_index(s, 8, False)
    from multilabel_attr import multilabel_confusion_matrix
    from multilabel_attr.core.counts._formulas import formula_by_name

    formula = formula_by_name(metric)
    for label in range(4):
        for t in np.unique(s[:, label]):
            cm = multilabel_confusion_matrix(y[:, [label]], s[:, [label]], threshold=t)[0]
            num, den = formula.parts(cm[1, 1], cm[0, 1], cm[1, 0], cm[0, 0])
            value = num / den if den else 0.0
            if value > best_edge[label] + 1e-12:
                assert candidates[label, index[s[:, label] == t, label][0]]
    assert f1_score(y, s, threshold=0.5, average=None).shape == (4,)


def test_counts_at_any_threshold_outside_the_bin_ranges():
    y, s, w = _data(10)
    sketch = ScoreSketch(4, n_bins=32).update(y, s, sample_weight=w)
    exact = ScoreSketch(4, n_bins=32, exact=True).update(y, s, sample_weight=w)
    lo, hi = sketch.bin_range()
    rng = np.random.default_rng(0)

    def expected(t):
        predicted = s >= t
        return w @ (predicted & y), w @ (predicted & ~y), w @ (~predicted & y)

    labels = np.arange(4)
    for _ in range(20):
        bins = rng.integers(0, 32, 4)
        filled = ~np.isnan(lo[labels, bins])
        # At a bin's smallest score, or just above its largest, the whole bin is on one side.
        at_lo = np.where(filled, lo[labels, bins], 0.5)
        above_hi = np.where(filled, np.nextafter(hi[labels, bins], 2.0), 0.5)
        for t in (at_lo, above_hi):
            np.testing.assert_allclose(sketch.counts_at(t)[:3], expected(t))
        anywhere = rng.random(4)
        np.testing.assert_allclose(exact.counts_at(anywhere)[:3], expected(anywhere))
    assert lo[0, 16] < hi[0, 16]
    with pytest.raises(ValueError, match="label"):
        sketch.counts_at([(lo[0, 16] + hi[0, 16]) / 2, 0.5, 0.5, 0.5])


def test_confident_labels_stay_ordered_far_into_the_tails():
    from sklearn.metrics import average_precision_score as sk_ap
    from sklearn.metrics import roc_auc_score as sk_auc

    # Logits of scale 30: most scores lie beyond |logit| = 10, yet in the layout's bins.
    rng = np.random.default_rng(3)
    y = rng.random((20_000, 3)) < np.array([0.05, 0.3, 0.5])
    logits = np.array([0.2, 5.0, 30.0]) * (rng.normal(size=y.shape) + np.where(y, 1.0, -1.0))
    for from_logits, s in ((True, logits), (False, _sigmoid(logits))):
        sketch = ScoreSketch(3, n_bins=200, from_logits=from_logits).update(y, s)
        auc, ap = sketch.roc_auc(None), sketch.average_precision(None)
        for j in range(3):
            auc_error = abs(auc.value[j] - sk_auc(y[:, j], s[:, j]))
            ap_error = abs(ap.value[j] - sk_ap(y[:, j], s[:, j]))
            assert auc_error <= auc.bound[j] and ap_error <= ap.bound[j]
            # Version 1's edges stopped at |logit| = 10: errors near 4e-2 on the last label.
            assert auc_error < 1e-3 and ap_error < 2e-3, (from_logits, j, auc_error, ap_error)
