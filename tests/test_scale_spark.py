"""The Spark engine on a local[2] session: equal to the in-memory results, clear errors."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)

import multilabel_attr as ml
from _scale_data import (
    Data,
    assert_intervals_equal,
    assert_reports_equal,
    local_spark,
    make_data,
)
from multilabel_attr import parquet as mparquet
from multilabel_attr import spark as mspark

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    yield from local_spark("multilabel_attr-tests", shuffle_partitions=4, batch_rows=200)


@pytest.fixture(scope="module")
def data() -> Data:
    return make_data()


@pytest.fixture(scope="module")
def frame(spark: Any, data: Data) -> Any:
    """Six partitions of uneven sizes, some of them empty."""
    pandas_frame = data.frame()
    rng = np.random.default_rng(1)
    pandas_frame["part"] = rng.choice(3, len(pandas_frame), p=[0.7, 0.25, 0.05])
    result = spark.createDataFrame(pandas_frame).repartition(6, "part").cache()
    sizes = result.rdd.glom().map(len).collect()
    assert 0 in sizes and len(set(sizes)) > 2
    return result


@pytest.mark.parametrize("columns", ["scalar", "array"])
def test_evaluate_equals_in_memory(frame: Any, data: Data, columns: str) -> None:
    labels, scores = (
        (data.label_columns, data.score_columns) if columns == "scalar" else ("labels", "scores")
    )
    report = mspark.evaluate(
        frame, labels, scores, weight="w", threshold=data.thresholds,
        label_names=data.label_columns, zero_division=0, ranking=False,
    )  # fmt: skip
    expected = ml.evaluate(
        data.truth, data.scores, threshold=data.thresholds, label_names=data.label_columns,
        sample_weight=data.weight, zero_division=0, ranking=False,
    )  # fmt: skip
    assert_reports_equal(report, expected)


def test_counts_unweighted_equal_exactly(frame: Any, data: Data) -> None:
    state = mspark.counts(frame, "labels", "scores", threshold=0.5)
    assert state == ml.MultilabelCounts.from_batch(data.truth, data.scores, threshold=0.5)


def test_bootstrap_equals_the_parquet_engine(
    frame: Any, data: Data, tmp_path: Any
) -> None:
    kwargs: dict[str, Any] = {"weight": "w", "n_resamples": 40, "seed": 5}
    got = mspark.bootstrap_report(frame, "labels", "scores", row_id="row", **kwargs)
    path = tmp_path / "rows.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pandas(data.frame(), preserve_index=False), path)
    expected = mparquet.bootstrap_report(path, "labels", "scores", **kwargs)
    assert_intervals_equal(got, expected)
    # Without an id column the row's position is its id; a single partition keeps the order.
    ordered = frame.orderBy("row").coalesce(1)
    assert_intervals_equal(mspark.bootstrap_report(ordered, "labels", "scores", **kwargs), expected)


def test_a_frame_that_changes_between_the_bootstrap_passes_is_named(
    frame: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bootstrap keyed by position numbers the rows in a pass of its own; a partition
    # that holds other rows by the counting pass would draw other rows' multiplicities.
    numbered = mspark.SparkSource._row_offsets

    def one_row_more(self: Any, selected: Any) -> dict[int, tuple[int, int]]:
        offsets = numbered(self, selected)
        partition = max(offsets, key=lambda p: offsets[p][1])
        first, rows = offsets[partition]
        return {**offsets, partition: (first, rows + 1)}

    monkeypatch.setattr(mspark.SparkSource, "_row_offsets", one_row_more)
    with pytest.raises(ValueError, match=r"changed between the passes of the bootstrap: partition"):
        mspark.bootstrap_report(frame, "labels", "scores", n_resamples=5)
    # Row ids key the draws without a numbering pass.
    mspark.bootstrap_report(frame, "labels", "scores", row_id="row", n_resamples=5)


def test_bad_values_name_column_and_partition(spark: Any) -> None:
    rows = [(1, 0, 0.2, 0.5), (0, 1, 0.4, float("nan"))]
    frame = spark.createDataFrame(rows, ["y0", "y1", "s0", "s1"]).coalesce(1)
    with pytest.raises(ValueError, match=r"column 's1' \(scores\) in partition 0: must be finite"):
        mspark.evaluate(frame, ["y0", "y1"], ["s0", "s1"])
    rows = [(1, 2, 0.2, 0.5)]
    frame = spark.createDataFrame(rows, ["y0", "y1", "s0", "s1"]).coalesce(1)
    with pytest.raises(ValueError, match=r"column 'y1' \(labels\) in partition 0.*found 2"):
        mspark.evaluate(frame, ["y0", "y1"], ["s0", "s1"])


def test_shape_weight_and_missing_column_errors(spark: Any) -> None:
    frame = spark.createDataFrame(
        [([1, 0], [0.1, 0.2], 1.0), ([0, 1, 1], [0.1, 0.2, 0.3], -1.0)], ["y", "s", "w"]
    ).coalesce(1)
    with pytest.raises(ValueError, match=r"column 'y' has 1 row\(s\).*partition 0"):
        mspark.evaluate(frame, "y", "s")
    good = frame.limit(1).union(
        spark.createDataFrame([([0, 1], [0.1, 0.2], -1.0)], ["y", "s", "w"])
    ).coalesce(1)
    with pytest.raises(ValueError, match=r"column 'w' \(weight\) in partition 0.*non-negative"):
        mspark.evaluate(good, "y", "s", weight="w")
    with pytest.raises(ValueError, match=r"column\(s\) 'scores' not found in the DataFrame"):
        mspark.evaluate(frame, "y", "scores")
    with pytest.raises(ValueError, match="has no rows"):
        mspark.evaluate(frame.limit(0), "y", "s")
    with pytest.raises(TypeError, match=r"pyspark\.sql\.DataFrame"):
        mspark.evaluate([[1]], "y", "s")


@pytest.mark.parametrize("strategy", ["per_label", "shared"])
def test_thresholds_equal_the_single_machine_search(frame: Any, data: Data, strategy: str) -> None:
    from multilabel_attr.thresholds import optimize_thresholds

    got = mspark.optimize_thresholds(
        frame, data.label_columns, data.score_columns, strategy=strategy, metric="f1",
        min_positives=5, n_bins=32,
    )  # fmt: skip
    expected = optimize_thresholds(
        data.truth, data.scores, strategy=strategy, metric="f1", min_positives=5,
        label_names=data.label_columns,
    )  # fmt: skip
    assert got == expected


def test_sketch_ranking_columns(frame: Any, data: Data) -> None:
    report = mspark.evaluate(frame, "labels", "scores", zero_division=0, ranking=64)
    exact = ml.evaluate(data.truth, data.scores, zero_division=0)
    got, want = np.array(report.per_label["auroc"]), np.array(exact.per_label["auroc"])
    defined = ~np.isnan(want)
    assert np.all(np.abs(got - want)[defined] <= np.array(report.per_label["auroc_bound"])[defined])


def test_exact_ranking_by_a_distributed_sort(frame: Any, data: Data,
                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from multilabel_attr._scale import _exact

    monkeypatch.setattr(_exact, "CELLS_PER_BUCKET", 3000)  # several buckets and partitions
    report = mspark.evaluate(frame, "labels", "scores", weight="w", ranking="exact",
                             zero_division=0)  # fmt: skip
    expected = ml.evaluate(data.truth, data.scores, sample_weight=data.weight, zero_division=0)
    for column in ("auroc", "average_precision"):
        assert report.per_label[column] == pytest.approx(
            expected.per_label[column], abs=1e-12, nan_ok=True
        )
    # Bins of a few distinct scores count as crowded here: they are cut by one more pass.
    from multilabel_attr._scale import _crowded

    cuts: list[int] = []
    cut = _exact.Layout.cut
    # Few cells make a crowd here, and one cutting pass is enough: every group it cuts sends
    # its 1,024 cuts' sums to the driver, which a small local JVM must hold.
    monkeypatch.setattr(_crowded, "crowding_limit", lambda: 8)
    monkeypatch.setattr(_crowded, "MAX_PASSES", 1)
    monkeypatch.setattr(_exact.Layout, "cut", lambda self, targets, *sums: (
        cuts.append(targets.size), cut(self, targets, *sums))[1])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
        again = mspark.evaluate(frame, "labels", "scores", weight="w", ranking="exact",
                                zero_division=0)  # fmt: skip
    assert cuts
    for column in ("auroc", "average_precision"):
        assert again.per_label[column] == pytest.approx(
            expected.per_label[column], abs=1e-12, nan_ok=True
        )
