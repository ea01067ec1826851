"""Operating points on the Parquet, Dask and Spark engines: equal to the in-memory ones."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import multilabel_attr as ml  # noqa: E402
from _scale_data import local_spark  # noqa: E402
from multilabel_attr import parquet as mparquet  # noqa: E402

RULES = [
    "recall@precision>=0.8",
    "precision@recall>=0.7",
    "specificity@sensitivity>=0.9",
    "sensitivity@specificity>=0.85",
    "eer",
    "recall@precision>=0.999",  # infeasible for most labels
]


def _data(seed: int, n: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sigmoid scores with ties, a label without positives, one without negatives, and dyadic
    weights (their sums are exact in any order, so weighted counts match to the last bit)."""
    rng = np.random.default_rng(seed)
    truth = rng.random((n, 6)) < np.array([0.0, 0.01, 0.2, 0.4, 0.6, 1.0])
    scores = 1 / (1 + np.exp(-(rng.normal(size=truth.shape) + 2 * truth)))
    scores[: n // 6] = np.round(scores[: n // 6], 2)
    truth[0, 2], scores[0, 2] = False, 1.0  # a negative on top: precision 0.999 is out of reach
    weight = rng.integers(0, 8, n) / 4
    weight[0] = 1.0
    return truth, scores, weight


def _run(call: Any) -> tuple[dict[str, ml.OperatingPoints], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in caught if w.category is ml.UndefinedMetricWarning]


def _assert_equal(
    got: tuple[dict[str, ml.OperatingPoints], list[str]],
    expected: tuple[dict[str, ml.OperatingPoints], list[str]],
) -> None:
    assert got[0].keys() == expected[0].keys()
    for key, points in expected[0].items():
        mine = got[0][key]
        assert mine.status == points.status, key
        np.testing.assert_array_equal(mine.values, points.values, err_msg=key)
        np.testing.assert_array_equal(mine.thresholds, points.thresholds, err_msg=key)
        np.testing.assert_array_equal(mine.achieved, points.achieved, err_msg=key)
    assert got[1] == expected[1]


@pytest.mark.parametrize("n_bins", [8, 64, 2048])
@pytest.mark.parametrize("weighted", [False, True])
def test_parquet_equals_in_memory(tmp_path: Path, n_bins: int, weighted: bool) -> None:
    truth, scores, weight = _data(n_bins)
    table = pa.table({"y": list(truth.astype(np.int8)), "s": list(scores), "w": weight})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=700)
    names = [f"a{j}" for j in range(truth.shape[1])]
    w = weight if weighted else None
    expected = _run(
        lambda: ml.operating_points(truth, scores, RULES, sample_weight=w, label_names=names)
    )
    got = _run(
        lambda: mparquet.operating_points(
            tmp_path / "t.parquet",
            "y",
            "s",
            constraints=RULES,
            n_bins=n_bins,
            weight="w" if weighted else None,
            label_names=names,
            batch_rows=500,
        )
    )
    _assert_equal(got, expected)
    assert expected[0]["eer"].status[0] == "undefined"
    assert "infeasible" in expected[0]["recall@precision>=0.999"].status


def test_parquet_logits(tmp_path: Path) -> None:
    truth, scores, _ = _data(7, n=1200)
    scores = np.clip(scores, 1e-6, 1 - 1e-6)
    logits = np.log(scores) - np.log1p(-scores)
    pq.write_table(pa.table({"y": list(truth.astype(np.int8)), "s": list(logits)}),
                   tmp_path / "t.parquet")  # fmt: skip
    expected = _run(lambda: ml.operating_points(truth, logits, RULES, from_logits=True))
    got = _run(
        lambda: mparquet.operating_points(
            tmp_path / "t.parquet", "y", "s", constraints=RULES, from_logits=True, n_bins=16
        )
    )
    _assert_equal(got, expected)


def test_parquet_checks_rules_first(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="constraints must be 'eer' or"):
        mparquet.operating_points(tmp_path / "missing.parquet", "y", "s", constraints="f1")


def test_dask_arrays_equal_in_memory() -> None:
    pytest.importorskip("dask.array")
    import dask.array as da

    from multilabel_attr import dask as mdask

    truth, scores, weight = _data(3, n=1500)
    expected = _run(lambda: ml.operating_points(truth, scores, RULES, sample_weight=weight))
    got = _run(
        lambda: mdask.operating_points(
            da.from_array(truth, chunks=(400, 6)),
            scores=da.from_array(scores, chunks=(300, 6)),
            weight=da.from_array(weight, chunks=500),
            constraints=RULES,
            n_bins=32,
        )
    )
    _assert_equal(got, expected)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    yield from local_spark("multilabel_attr-tests", shuffle_partitions=4)


@pytest.mark.slow
def test_spark_equals_in_memory(spark: Any) -> None:
    import pandas as pd

    from multilabel_attr import spark as mspark

    truth, scores, weight = _data(4, n=1200)
    columns: dict[str, Any] = {f"y{j}": truth[:, j].astype(np.int64) for j in range(6)}
    columns |= {f"s{j}": scores[:, j] for j in range(6)}
    frame = spark.createDataFrame(pd.DataFrame({**columns, "w": weight})).repartition(3)
    expected = _run(
        lambda: ml.operating_points(
            truth, scores, RULES, sample_weight=weight, label_names=[f"y{j}" for j in range(6)]
        )
    )
    got = _run(
        lambda: mspark.operating_points(
            frame,
            [f"y{j}" for j in range(6)],
            [f"s{j}" for j in range(6)],
            constraints=RULES,
            weight="w",
            n_bins=32,
        )
    )
    _assert_equal(got, expected)


@pytest.mark.parametrize("rule", ["recall@precision>=0.8", "sensitivity@specificity>=0.85",
                                  "eer", "recall@precision>=0.999"])  # fmt: skip
@pytest.mark.parametrize("strategy", ["per_label", "shared"])
@pytest.mark.parametrize("fallback", ["shared", 0.5])
def test_parquet_threshold_search_with_rules_equals_in_memory(
    tmp_path: Path, rule: str, strategy: str, fallback: Any
) -> None:
    from multilabel_attr.thresholds import optimize_thresholds

    truth, scores, weight = _data(11)
    pq.write_table(pa.table({"y": list(truth.astype(np.int8)), "s": list(scores), "w": weight}),
                   tmp_path / "t.parquet", row_group_size=700)  # fmt: skip
    options: dict[str, Any] = {"metric": rule, "strategy": strategy, "min_positives": 40,
                               "fallback": fallback}  # fmt: skip
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        got = mparquet.optimize_thresholds(
            tmp_path / "t.parquet", "y", "s", weight="w", n_bins=32, **options
        )
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = optimize_thresholds(truth, scores, sample_weight=weight, **options)
    assert got == expected
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
