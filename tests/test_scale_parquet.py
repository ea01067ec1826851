"""The local Parquet engine and the partition machinery all engines share."""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import multilabel_attr as ml  # noqa: E402
from _scale_data import (  # noqa: E402
    Data,
    assert_intervals_equal,
    assert_reports_equal,
    make_data,
)
from multilabel_attr import parquet as mparquet  # noqa: E402
from multilabel_attr.core._internal import poisson_multiplicities  # noqa: E402
from multilabel_attr.thresholds import optimize_thresholds  # noqa: E402


def write_parts(data: Data, folder: Path, bounds: list[int], group_rows: int = 97) -> Path:
    """Files of uneven sizes, one of them empty, each with several row groups."""
    frame = data.frame()
    folder.mkdir(parents=True, exist_ok=True)
    for index, (start, stop) in enumerate(itertools.pairwise(bounds)):
        table = pa.Table.from_pandas(frame.iloc[start:stop], preserve_index=False)
        pq.write_table(table, folder / f"part-{index:03d}.parquet", row_group_size=group_rows)
    return folder


BOUNDS = [0, 0, 400, 403, 1100, 1500]


@pytest.fixture(scope="module")
def data() -> Data:
    return make_data()


@pytest.fixture(scope="module")
def folder(data: Data, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_parts(data, tmp_path_factory.mktemp("parquet"), BOUNDS)


@pytest.mark.parametrize("columns", ["scalar", "array"])
@pytest.mark.parametrize("weighted", [False, True])
def test_evaluate_equals_in_memory(data: Data, folder: Path, columns: str, weighted: bool) -> None:
    labels, scores = (
        (data.label_columns, data.score_columns) if columns == "scalar" else ("labels", "scores")
    )
    names = data.label_columns
    report = mparquet.evaluate(
        folder, labels, scores, weight="w" if weighted else None, threshold=data.thresholds,
        label_names=names, zero_division=0, batch_rows=128, ranking=False,
    )  # fmt: skip
    expected = ml.evaluate(
        data.truth, data.scores, threshold=data.thresholds, label_names=names,
        sample_weight=data.weight if weighted else None, zero_division=0, ranking=False,
    )  # fmt: skip
    assert_reports_equal(report, expected)


@pytest.mark.parametrize("zero_division", [0, 1, math.nan])
def test_counts_give_every_average(data: Data, folder: Path, zero_division: float) -> None:
    state = mparquet.counts(folder, data.label_columns, data.score_columns, weight="w")
    expected = ml.MultilabelCounts.from_batch(
        data.truth, data.scores, threshold=0.5, sample_weight=data.weight
    )
    assert state.label_names == tuple(data.label_columns)
    assert np.array_equal(state.sample_keys, expected.sample_keys)
    assert np.array_equal(state.sample_count, expected.sample_count)
    for average in ("micro", "macro", "weighted", "samples"):
        for name in ("precision_score", "recall_score", "f1_score", "jaccard_score"):
            got = getattr(state, name)(average=average, zero_division=zero_division)
            want = getattr(expected, name)(average=average, zero_division=zero_division)
            assert got == pytest.approx(want, abs=1e-12, nan_ok=True), (name, average)


def test_predictions_without_threshold(data: Data, tmp_path: Path) -> None:
    pred = (data.scores >= 0.5).astype(np.int8)
    table = pa.table({"y": list(data.truth.astype(np.int8)), "p": list(pred)})
    pq.write_table(table, tmp_path / "p.parquet", row_group_size=300)
    report = mparquet.evaluate(
        tmp_path / "p.parquet", "y", "p", threshold=None, zero_division=0, ranking=False
    )
    expected = ml.evaluate(data.truth, pred, threshold=None, zero_division=0, ranking=False)
    assert_reports_equal(report, expected)


def test_bootstrap_does_not_depend_on_the_partitioning(data: Data, tmp_path: Path) -> None:
    one = write_parts(data, tmp_path / "one", [0, 1500], group_rows=1500)
    many = write_parts(data, tmp_path / "many", BOUNDS, group_rows=61)
    kwargs = {"weight": "w", "n_resamples": 60, "seed": 3, "threshold": data.thresholds}
    a = mparquet.bootstrap_report(one, "labels", "scores", **kwargs)  # type: ignore[arg-type]
    b = mparquet.bootstrap_report(many, "labels", "scores", **kwargs)  # type: ignore[arg-type]
    c = mparquet.bootstrap_report(many, "labels", "scores", row_id="row", **kwargs)  # type: ignore[arg-type]
    assert_intervals_equal(b, a)
    assert_intervals_equal(c, a)
    low, high = a.intervals["f1_samples"]
    assert low < a.summary["f1_samples"] < high
    assert a.confidence_level == 0.95
    other = mparquet.bootstrap_report(one, "labels", "scores", **{**kwargs, "seed": 4})  # type: ignore[arg-type]
    assert other.intervals["f1_samples"] != a.intervals["f1_samples"]


def test_poisson_draws_are_counter_based() -> None:
    ids = np.arange(200_000, dtype=np.int64)
    draws = poisson_multiplicities(7, ids, 5)
    assert draws.shape == (5, ids.size)
    # Poisson(1): mean 1, variance 1, P(0) = 1/e.
    assert abs(draws.mean() - 1) < 0.01
    assert abs(draws.var() - 1) < 0.02
    assert abs((draws == 0).mean() - math.exp(-1)) < 0.005
    # A row's draws depend on its id only, not on its neighbours.
    assert np.array_equal(poisson_multiplicities(7, ids[1234:1240], 5), draws[:, 1234:1240])
    assert not np.array_equal(poisson_multiplicities(8, ids[:50], 5), draws[:, :50])
    # Replicates are independent of each other.
    assert abs(np.corrcoef(draws[0], draws[1])[0, 1]) < 0.01


# -- bad input -----------------------------------------------------------------------------


def _write(tmp_path: Path, **columns: object) -> Path:
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table(columns), path, row_group_size=2)
    return path


def test_nan_score_names_column_and_row_group(tmp_path: Path) -> None:
    path = _write(tmp_path, y0=[1, 0, 1, 0], y1=[0, 0, 1, 1], s0=[0.1, 0.2, 0.3, 0.4],
                  s1=[0.5, 0.5, float("nan"), 0.1])  # fmt: skip
    with pytest.raises(ValueError, match=r"column 's1' \(scores\) in .*bad.parquet, row group 1"):
        mparquet.evaluate(path, ["y0", "y1"], ["s0", "s1"])


def test_inf_and_out_of_range_scores(tmp_path: Path) -> None:
    path = _write(tmp_path, y=[[1, 0], [0, 1]], s=[[0.1, float("inf")], [0.2, 0.3]])
    with pytest.raises(ValueError, match=r"column 's' \(position 1\) \(scores\).*finite"):
        mparquet.evaluate(path, "y", "s")
    path = _write(tmp_path, y=[[1, 0], [0, 1]], s=[[0.1, 0.4], [1.2, 0.3]])
    with pytest.raises(ValueError, match=r"column 's' \(position 0\).*probabilities"):
        mparquet.evaluate(path, "y", "s")


def test_labels_outside_0_1(tmp_path: Path) -> None:
    path = _write(tmp_path, y0=[1, 0], y1=[2, 0], s0=[0.1, 0.2], s1=[0.3, 0.4])
    with pytest.raises(ValueError, match=r"column 'y1' \(labels\) in .*row group 0.*found 2"):
        mparquet.evaluate(path, ["y0", "y1"], ["s0", "s1"])


def test_rows_of_the_wrong_length(tmp_path: Path) -> None:
    path = _write(tmp_path, y=[[1, 0], [0, 1], [1, 1], [0, 1, 1]],
                  s=[[0.1, 0.2], [0.2, 0.3], [0.5, 0.5], [0.1, 0.1, 0.1]])  # fmt: skip
    with pytest.raises(ValueError, match=r"column 'y' has 1 row\(s\).*row group 1.*length 3"):
        mparquet.evaluate(path, "y", "s")
    with pytest.raises(ValueError, match="differs from 3"):
        mparquet.evaluate(path, "y", "s", threshold=[0.5, 0.5, 0.5])


def test_missing_and_misnamed_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, y=[[1, 0], [0, 1]], s=[[0.1, 0.2], [0.2, 0.3]])
    with pytest.raises(ValueError, match=r"column\(s\) 'score' not found in .*bad.parquet"):
        mparquet.evaluate(path, "y", "score")
    with pytest.raises(ValueError, match="column 'y' must be numeric or boolean; got type list"):
        mparquet.evaluate(path, "y", "s", weight="y")  # a list column used as a weight
    with pytest.raises(ValueError, match="column 'w' must be an array column"):
        mparquet.evaluate(_write(tmp_path, w=[1.0, 2.0], s=[[0.1], [0.2]]), "w", "s")
    with pytest.raises(ValueError, match="one column per label each"):
        mparquet.evaluate(path, ["a", "b"], ["c"])
    with pytest.raises(FileNotFoundError):
        mparquet.evaluate(tmp_path / "nowhere.parquet", "y", "s")


def test_negative_weight_and_missing_values(tmp_path: Path) -> None:
    path = _write(tmp_path, y=[[1, 0], [0, 1]], s=[[0.1, 0.2], [0.2, 0.3]], w=[1.0, -2.0])
    with pytest.raises(ValueError, match=r"column 'w' \(weight\).*non-negative"):
        mparquet.evaluate(path, "y", "s", weight="w")
    path = _write(tmp_path, y0=[1, None], s0=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"column 'y0' has 1 missing value"):
        mparquet.evaluate(path, ["y0"], ["s0"])


def test_empty_input(tmp_path: Path) -> None:
    schema = pa.schema([("y", pa.list_(pa.int8())), ("s", pa.list_(pa.float64()))])
    pq.write_table(schema.empty_table(), tmp_path / "empty.parquet")
    with pytest.raises(ValueError, match="has no rows"):
        mparquet.evaluate(tmp_path / "empty.parquet", "y", "s")


# -- ranking columns and thresholds ---------------------------------------------------------


@pytest.mark.filterwarnings("ignore::multilabel_attr.UndefinedMetricWarning")
def test_sketch_ranking_columns_hold_their_bounds(data: Data, folder: Path) -> None:
    report = mparquet.evaluate(folder, "labels", "scores", weight="w", zero_division=0)
    exact = ml.evaluate(data.truth, data.scores, sample_weight=data.weight, zero_division=0)
    for column in ("auroc", "average_precision"):
        got, want = np.array(report.per_label[column]), np.array(exact.per_label[column])
        bound = np.array(report.per_label[f"{column}_bound"])
        assert np.array_equal(np.isnan(got), np.isnan(want))
        defined = ~np.isnan(want)
        assert np.all(np.abs(got - want)[defined] <= bound[defined] + 1e-12)
    assert report.summary == pytest.approx(exact.summary, abs=1e-12)


def _tuning_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sigmoid scores of a realistic model, with ties, a rare label and dyadic weights
    (their sums are exact in any order, so weighted counts match to the last bit)."""
    rng = np.random.default_rng(seed)
    truth = rng.random((3000, 5)) < np.array([0.002, 0.05, 0.2, 0.4, 0.6])
    scores = 1 / (1 + np.exp(-(rng.normal(size=truth.shape) + 2 * truth)))
    scores[:500] = np.round(scores[:500], 2)
    weight = rng.integers(0, 8, truth.shape[0]) / 4
    return truth, scores, weight


@pytest.mark.parametrize("metric", ["f1", "jaccard", "matthews", "balanced_accuracy", "youden"])
@pytest.mark.parametrize("strategy", ["per_label", "shared"])
@pytest.mark.parametrize("weighted", [False, True])
def test_thresholds_equal_the_single_machine_search(
    tmp_path: Path, metric: str, strategy: str, weighted: bool
) -> None:
    truth, scores, weight = _tuning_data(1)
    table = pa.table({"y": list(truth.astype(np.int8)), "s": list(scores), "w": weight})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=700)
    options = {"metric": metric, "strategy": strategy, "min_positives": 10}
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        got = mparquet.optimize_thresholds(
            tmp_path / "t.parquet", "y", "s", weight="w" if weighted else None, n_bins=64,
            **options,  # type: ignore[arg-type]
        )
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = optimize_thresholds(
            truth, scores, sample_weight=weight if weighted else None, **options  # type: ignore[arg-type]
        )
    assert got == expected
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_thresholds_options_that_need_all_the_data_are_refused(folder: Path) -> None:
    with pytest.raises(ValueError, match="'per_label' or 'shared' at scale"):
        mparquet.optimize_thresholds(folder, "labels", "scores", strategy="coordinate")
    with pytest.raises(ValueError, match="metric"):
        mparquet.optimize_thresholds(folder, "labels", "scores", metric="nope")


def test_thresholds_on_scores_outside_0_1_need_from_logits(tmp_path: Path) -> None:
    truth, scores, _ = _tuning_data(2)
    logits = np.log(scores) - np.log1p(-scores)
    pq.write_table(pa.table({"y": list(truth), "s": list(logits)}), tmp_path / "l.parquet")
    with pytest.raises(ValueError, match=r"column 's' \(position 0\).*from_logits=True"):
        mparquet.optimize_thresholds(tmp_path / "l.parquet", "y", "s")
    got = mparquet.optimize_thresholds(tmp_path / "l.parquet", "y", "s", from_logits=True,
                                       min_positives=0)  # fmt: skip
    assert got == optimize_thresholds(truth, logits, from_logits=True, min_positives=0)


@pytest.mark.filterwarnings("ignore::multilabel_attr.UndefinedMetricWarning")
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_ranking_by_spilled_buckets(data: Data, folder: Path, weighted: bool,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from multilabel_attr._scale import _exact

    monkeypatch.setattr(_exact, "CELLS_PER_BUCKET", 1000)  # about ten spill files
    report = mparquet.evaluate(folder, data.label_columns, data.score_columns, ranking="exact",
                               weight="w" if weighted else None, zero_division=0)  # fmt: skip
    expected = ml.evaluate(data.truth, data.scores, zero_division=0, label_names=data.label_columns,
                           sample_weight=data.weight if weighted else None)  # fmt: skip
    assert_reports_equal(report, expected)
    with pytest.raises(ValueError, match="ranking must be"):
        mparquet.evaluate(folder, "labels", "scores", ranking="approximate")


def test_row_id_column_must_hold_integers(tmp_path: Path) -> None:
    path = _write(tmp_path, y=[[1, 0], [0, 1]], s=[[0.1, 0.2], [0.2, 0.3]], row=[0.5, 1.5])
    with pytest.raises(ValueError, match=r"column 'row' must hold integers; got float64 in"):
        mparquet.bootstrap_report(path, "y", "s", row_id="row", n_resamples=10)


def test_a_partition_state_is_a_pure_function_of_its_rows(data: Data) -> None:
    """A retried task recomputes the same state; nothing it ran before is counted again."""
    from multilabel_attr._scale._columns import ColumnSpec
    from multilabel_attr._scale._partition import CountTask, Partial

    table = pa.Table.from_pandas(data.frame(), preserve_index=False)
    task = CountTask(ColumnSpec.build("labels", "scores", "w"), None, 0.5, False,
                     n_resamples=5, seed=1, n_bins=16)  # fmt: skip
    first = task(table.slice(100, 400).to_batches(max_chunksize=64), "partition 3", 100)
    again = task(table.slice(100, 400).to_batches(max_chunksize=128), "partition 3", 100)
    assert first == again
    state = Partial.from_bytes(first)
    assert state.counts is not None and state.counts.n_samples == 400
