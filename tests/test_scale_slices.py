"""Slices on the engines: ``groups=`` column names counted in the same pass, equal to memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyarrow")

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.metrics import f1_score, recall_score

import multilabel_attr as ml
from _scale_data import local_spark
from multilabel_attr import parquet as mparquet

NAMES = ["Male", "Young", "Smiling", "Bald", "Hat", "Glasses"]
SCORES = [f"s_{name}" for name in NAMES]


def _data(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = (rng.random((n, len(NAMES))) < rng.uniform(0.1, 0.6, len(NAMES))).astype(np.int64)
    scores = np.clip(0.4 * truth + 0.6 * rng.random(truth.shape), 0, 1)
    scores[: n // 4] = np.round(scores[: n // 4], 1)  # ties
    site = rng.choice(np.array(["north", "south", "west"]), n, p=[0.5, 0.45, 0.05])
    return truth, scores, site


def _frame(truth: np.ndarray, scores: np.ndarray, site: np.ndarray) -> pd.DataFrame:
    columns: dict[str, Any] = {name: truth[:, j] for j, name in enumerate(NAMES)}
    columns.update({name: scores[:, j] for j, name in enumerate(SCORES)})
    frame = pd.DataFrame(columns)
    frame["site"] = site
    frame["scores"] = list(scores)
    frame["labels"] = list(truth.astype(np.float64))
    return frame


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _data()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, data: Any) -> Path:
    """Two files of several row groups each."""
    root = tmp_path_factory.mktemp("sliced")
    frame = _frame(*data)
    for i, part in enumerate((frame.iloc[:1300], frame.iloc[1300:])):
        table = pa.Table.from_pandas(part, preserve_index=False)
        pq.write_table(table, root / f"part-{i}.parquet", row_group_size=400)
    return root


def _assert_same(engine: ml.SlicedReport, memory: ml.SlicedReport) -> None:
    assert engine.factors == memory.factors
    assert engine.keys == memory.keys and engine.sizes == memory.sizes
    assert engine.hidden == memory.hidden and engine.slice_labels == memory.slice_labels
    for name, report in memory.reports.items():
        other = engine.reports[name]
        assert other.label_names == report.label_names
        assert other.summary == pytest.approx(report.summary, abs=0, nan_ok=True), name
        for column in ("support", "precision", "recall", "f1", "specificity", "threshold"):
            np.testing.assert_array_equal(other.per_label[column], report.per_label[column])


def test_label_columns_slice_as_in_memory(folder: Path, data: Any) -> None:
    truth, scores, _ = data
    report = mparquet.evaluate(
        folder, NAMES, SCORES, groups=["Male", "Young"], ranking=False, zero_division=0
    )
    memory = ml.evaluate(
        truth, scores, groups=["Male", "Young"], label_names=NAMES, threshold=0.5,
        ranking=False, zero_division=0,
    )  # fmt: skip
    assert isinstance(report, ml.SlicedReport)
    assert report.slice_labels == ("Male", "Young")
    assert report.overall.label_names == ("Smiling", "Bald", "Hat", "Glasses")
    _assert_same(report, memory)
    assert report.to_dict() == memory.to_dict()
    # an independent reference: scikit-learn on the slice's own rows, sliced labels left out
    rows = (truth[:, 0] == 1) & (truth[:, 1] == 0)
    expected = f1_score(truth[rows][:, 2:], scores[rows][:, 2:] >= 0.5, average=None)
    got = report.slice("Male=1, Young=0").per_label["f1"]
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert report.fairness(zero_division=0) == memory.fairness(zero_division=0)


def test_a_key_column_crossed_with_a_label(folder: Path, data: Any) -> None:
    truth, scores, site = data
    report = mparquet.evaluate(
        folder, NAMES, SCORES, groups=["site", "Male"], ranking=False, zero_division=0,
        min_slice_size=50,
    )  # fmt: skip
    assert report.factors == ("site", "Male")
    sizes = {f"site={g}, Male={m}": int(np.sum((site == g) & (truth[:, 0] == m)))
             for g in ("north", "south", "west") for m in (0, 1)}  # fmt: skip
    assert report.hidden == tuple(name for name, size in sorted(sizes.items()) if size < 50)
    assert report.hidden and {name: report.sizes[name] for name in sizes} == sizes
    for name in report.groups:
        site_key, male = report.keys[name]
        rows = (site == site_key) & (truth[:, 0] == male)
        expected = ml.evaluate(
            truth[rows][:, 1:], scores[rows][:, 1:], label_names=NAMES[1:], threshold=0.5,
            ranking=False, zero_division=0,
        )  # fmt: skip
        assert report.slice(name).summary == pytest.approx(expected.summary, abs=1e-12)
        recall = recall_score(truth[rows][:, 1:], scores[rows][:, 1:] >= 0.5, average=None)
        np.testing.assert_allclose(report.slice(name).per_label["recall"], recall, atol=1e-12)


def test_array_columns_with_a_key_column_equal_memory(folder: Path, data: Any) -> None:
    truth, scores, site = data
    report = mparquet.evaluate(folder, "labels", "scores", groups="site", zero_division=0)
    memory = ml.evaluate(
        truth, scores, groups={"site": site}, threshold=0.5, ranking=False, zero_division=0
    )
    assert report.factors == ("site",)
    _assert_same(report, memory)
    exact = ml.evaluate(truth, scores, groups={"site": site}, threshold=0.5, zero_division=0)
    for name, slice_report in report.reports.items():
        # sketched ranking columns hold the exact value within their bound
        for column in ("auroc", "average_precision"):
            got = np.asarray(slice_report.per_label[column])
            bound = np.asarray(slice_report.per_label[f"{column}_bound"])
            want = np.asarray(exact.reports[name].per_label[column])
            defined = ~np.isnan(want)
            assert np.all(np.abs(got - want)[defined] <= bound[defined] + 1e-12), (name, column)


def test_bad_groups_name_the_column(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"column\(s\) 'sex' not found"):
        mparquet.evaluate(folder, NAMES, SCORES, groups=["Male", "sex"])
    with pytest.raises(ValueError, match="groups must be one array column name"):
        mparquet.evaluate(folder, NAMES, SCORES, groups=[])
    with pytest.raises(ValueError, match="larger than every slice"):
        mparquet.evaluate(folder, NAMES, SCORES, groups="site", min_slice_size=10**6)
    with pytest.raises(ValueError, match="more than max_slices=2"):
        mparquet.evaluate(folder, NAMES, SCORES, groups="site", max_slices=2, ranking=False)
    with pytest.raises(ValueError, match="ranking='exact' is not available with groups"):
        mparquet.evaluate(folder, NAMES, SCORES, groups="site", ranking="exact")
    table = pa.table({"y": [1, 0, 1], "s": [0.2, 0.7, 0.9], "g": [1.5, 2.0, None], "h": [1.0] * 3})
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    with pytest.raises(ValueError, match=r"column 'g' \(groups\) has 1 missing key"):
        mparquet.evaluate(path, ["y"], ["s"], groups="g")
    with pytest.raises(ValueError, match=r"column 'h' \(groups\) must hold ints, strings or bools"):
        mparquet.evaluate(path, ["y"], ["s"], groups="h")
    huge = tmp_path / "huge.parquet"
    pq.write_table(
        pa.table({"y": [1, 0], "s": [0.2, 0.7], "g": pa.array([1, 2**63], pa.uint64())}), huge
    )
    with pytest.raises(
        ValueError,
        match=r"the int key 9223372036854775808 at row 1.*huge\.parquet, row group 0",
    ):
        mparquet.evaluate(huge, ["y"], ["s"], groups="g")


def test_dask_frame_equals_memory(data: Any) -> None:
    dd = pytest.importorskip("dask.dataframe")
    from multilabel_attr import dask as mdask

    truth, scores, site = data
    frame = dd.from_pandas(_frame(truth, scores, site).drop(columns=["scores", "labels"]),
                           npartitions=3)  # fmt: skip
    report = mdask.evaluate(frame, NAMES, SCORES, groups=["site", "Young"], ranking=False,
                            zero_division=0)  # fmt: skip
    for name in report.groups:
        site_key, young = report.keys[name]
        rows = (site == site_key) & (truth[:, 1] == young)
        kept = [0, 2, 3, 4, 5]
        expected = ml.evaluate(truth[rows][:, kept], scores[rows][:, kept], threshold=0.5,
                               ranking=False, zero_division=0)  # fmt: skip
        assert report.slice(name).summary == pytest.approx(expected.summary, abs=1e-12)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    yield from local_spark("multilabel_attr-slices", batch_rows=300)


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
def test_spark_frame_equals_memory(spark: Any, data: Any) -> None:
    from multilabel_attr import spark as mspark

    truth, scores, site = data
    pandas_frame = _frame(truth, scores, site).drop(columns=["scores", "labels"])
    frame = spark.createDataFrame(pandas_frame).repartition(4)
    report = mspark.evaluate(frame, NAMES, SCORES, groups=["Male", "Young"], ranking=False,
                             zero_division=0)  # fmt: skip
    memory = ml.evaluate(
        truth, scores, groups=["Male", "Young"], label_names=NAMES, threshold=0.5,
        ranking=False, zero_division=0,
    )  # fmt: skip
    _assert_same(report, memory)
    with pytest.raises(ValueError, match=r"'region' not found"):
        mspark.evaluate(frame, NAMES, SCORES, groups="region")


ODD_KEYS = ["", "é", "日本", "a|b", "two\nlines", "x" * 40, " ", "<b>"]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 120),
    pool=st.lists(st.sampled_from(ODD_KEYS), min_size=1, max_size=5, unique=True),
    row_group=st.integers(1, 50),
    ints=st.booleans(),
)
def test_odd_keys_on_odd_partitions_equal_memory(
    tmp_path: Path, seed: int, n: int, pool: list[str], row_group: int, ints: bool
) -> None:
    # Keys first seen in a late row group, row groups of one row, keys of every width: the
    # engine counts each partition with the core and merges, and equals memory exactly.
    rng = np.random.default_rng(seed)
    truth = rng.random((n, 3)) < 0.4
    scores = rng.random((n, 3))
    keys: Any = np.array(pool)[rng.integers(0, len(pool), n)]
    if ints:
        keys = np.array([-(2**63), 2**63 - 1, 0, 7, -1])[rng.integers(0, 5, n)]
    path = tmp_path / f"odd-{seed}-{n}.parquet"
    table = pa.table({"y": list(truth.astype(np.int8)), "s": list(scores), "g": keys})
    pq.write_table(table, path, row_group_size=row_group)
    report = mparquet.evaluate(path, "y", "s", groups="g", ranking=False, zero_division=0)
    memory = ml.evaluate(truth, scores, groups={"g": keys}, threshold=0.5, ranking=False,
                         zero_division=0)  # fmt: skip
    _assert_same(report, memory)
    assert report.to_dict() == memory.to_dict()
    assert report.to_markdown() == memory.to_markdown()


odd_key_arrays = pytest.mark.parametrize(
    "keys",
    [
        np.array(ODD_KEYS)[np.arange(50) % len(ODD_KEYS)],
        np.array([-(2**63), 2**63 - 1, 0, 7])[np.arange(50) % 4],
        np.full(50, 2**63 - 1),
    ],
    ids=["odd-strings", "int64-ends", "one-top-key"],
)


def _odd_key_rows(keys: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Three labels and their scores beside the keys, as arrays and as one pandas frame."""
    rng = np.random.default_rng(seed)
    truth = (rng.random((keys.size, 3)) < 0.4).astype(np.int64)
    scores = rng.random((keys.size, 3))
    columns: dict[str, Any] = {f"y{j}": truth[:, j] for j in range(3)}
    columns.update({f"s{j}": scores[:, j] for j in range(3)})
    return truth, scores, pd.DataFrame({**columns, "g": keys})


@odd_key_arrays
def test_odd_keys_on_dask_partitions_equal_memory(keys: np.ndarray) -> None:
    dd = pytest.importorskip("dask.dataframe")
    from multilabel_attr import dask as mdask

    truth, scores, pandas_frame = _odd_key_rows(keys, 37)
    frame = dd.from_pandas(pandas_frame, npartitions=7)
    report = mdask.evaluate(frame, ["y0", "y1", "y2"], ["s0", "s1", "s2"], groups="g",
                            ranking=False, zero_division=0)  # fmt: skip
    memory = ml.evaluate(truth, scores, groups={"g": keys}, threshold=0.5, ranking=False,
                         zero_division=0)  # fmt: skip
    assert report.keys == memory.keys
    assert report.sizes == memory.sizes
    for name, expected in memory.reports.items():
        assert report.reports[name].summary == expected.summary, name


@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
@odd_key_arrays
def test_odd_keys_on_spark_partitions_equal_memory(spark: Any, keys: np.ndarray) -> None:
    from multilabel_attr import spark as mspark

    truth, scores, pandas_frame = _odd_key_rows(keys, 41)
    # Seven partitions of about seven rows: most hold a few of the keys, none all of them.
    frame = spark.createDataFrame(pandas_frame).repartition(7)
    report = mspark.evaluate(frame, ["y0", "y1", "y2"], ["s0", "s1", "s2"], groups="g",
                             ranking=False, zero_division=0)  # fmt: skip
    memory = ml.evaluate(truth, scores, groups={"g": keys}, label_names=["y0", "y1", "y2"],
                         threshold=0.5, ranking=False, zero_division=0)  # fmt: skip
    _assert_same(report, memory)
    assert report.to_dict() == memory.to_dict()
    assert report.to_markdown() == memory.to_markdown()
