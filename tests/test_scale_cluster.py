"""The engines' cluster bootstrap: Poisson draws keyed by the cluster id, so whole clusters are
resampled whatever the partitioning, equal to the in-memory replicates of the same draws."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from _scale_data import Data, assert_intervals_equal, make_data  # noqa: E402
from multilabel_attr import parquet as mparquet  # noqa: E402
from multilabel_attr._scale._columns import ColumnError  # noqa: E402
from multilabel_attr.core._internal import poisson_multiplicities  # noqa: E402
from multilabel_attr.core.report._bootstrap import Rows  # noqa: E402

SIZE = 6  # rows per cluster


def _write(data: Data, folder: Path, bounds: list[int], group_rows: int) -> Path:
    frame = data.frame()
    frame["person"] = frame["row"] // SIZE
    frame["name"] = [f"person-{i}" for i in frame["person"]]
    folder.mkdir(parents=True, exist_ok=True)
    for index, (start, stop) in enumerate(itertools.pairwise(bounds)):
        table = pa.Table.from_pandas(frame.iloc[start:stop], preserve_index=False)
        pq.write_table(table, folder / f"part-{index:03d}.parquet", row_group_size=group_rows)
    return folder


@pytest.fixture(scope="module")
def data() -> Data:
    return make_data()


def test_cluster_draws_do_not_depend_on_the_partitioning(data: Data, tmp_path: Path) -> None:
    one = _write(data, tmp_path / "one", [0, 1500], 1500)
    # Boundaries inside clusters: a cluster's rows sit in different files.
    many = _write(data, tmp_path / "many", [0, 0, 401, 403, 1099, 1500], 61)
    kwargs = {"weight": "w", "n_resamples": 40, "seed": 3, "threshold": data.thresholds}
    for column in ("person", "name"):
        a = mparquet.bootstrap_report(one, "labels", "scores", cluster=column, **kwargs)  # type: ignore[arg-type]
        b = mparquet.bootstrap_report(many, "labels", "scores", cluster=column, **kwargs)  # type: ignore[arg-type]
        assert_intervals_equal(b, a)
    # Clusters of one row keyed like the rows' ids are the row bootstrap.
    rows = mparquet.bootstrap_report(many, "labels", "scores", row_id="row", **kwargs)  # type: ignore[arg-type]
    singles = mparquet.bootstrap_report(many, "labels", "scores", cluster="row", **kwargs)  # type: ignore[arg-type]
    assert_intervals_equal(singles, rows)


@pytest.mark.parametrize("column", ["person", "name"])
def test_cluster_intervals_equal_in_memory_replicates_of_the_same_draws(
    data: Data, tmp_path: Path, column: str
) -> None:
    folder = _write(data, tmp_path / "parts", [0, 700, 1500], 128)
    n_resamples, seed = 50, 9
    report = mparquet.bootstrap_report(
        folder, "labels", "scores", weight="w", cluster=column, n_resamples=n_resamples,
        seed=seed, threshold=data.thresholds,
    )  # fmt: skip
    person = np.arange(data.truth.shape[0]) // SIZE
    if column == "person":
        keys = person.astype(np.int64)
    else:  # the documented key of a string id: the first 8 bytes of its BLAKE2b digest
        digest = [hashlib.blake2b(f"person-{p}".encode(), digest_size=8).digest() for p in person]
        keys = np.frombuffer(b"".join(digest), dtype="<i8")
    draws = poisson_multiplicities(seed, keys, n_resamples).astype(np.float64)
    pred = data.scores >= data.thresholds
    summary, per_label = Rows.of(data.truth, pred).metrics(draws, data.weight)
    low, high = np.nanpercentile(summary["f1_samples"], [2.5, 97.5])
    assert report.intervals["f1_samples"] == pytest.approx((low, high), abs=1e-12)
    lows, highs = np.nanpercentile(per_label["recall"], [2.5, 97.5], axis=0)
    for j, name in enumerate(report.label_names):
        assert report.intervals[f"recall:{name}"] == pytest.approx((lows[j], highs[j]), abs=1e-12)


def test_cluster_and_row_id_are_exclusive(data: Data, tmp_path: Path) -> None:
    folder = _write(data, tmp_path / "x", [0, 1500], 1500)
    with pytest.raises(ColumnError, match="row_id and cluster are exclusive"):
        mparquet.bootstrap_report(folder, "labels", "scores", row_id="row", cluster="person")
    with pytest.raises(ColumnError, match="column 'w' must hold integer or string cluster ids"):
        mparquet.bootstrap_report(folder, "labels", "scores", cluster="w", n_resamples=5)


def test_dask_cluster_bootstrap_equals_parquet(data: Data, tmp_path: Path) -> None:
    pytest.importorskip("dask.dataframe")
    import dask.dataframe as dd
    import pandas as pd

    folder = _write(data, tmp_path / "parts", [0, 500, 1500], 200)
    kwargs = {"weight": "w", "n_resamples": 30, "seed": 2, "cluster": "name"}
    expected = mparquet.bootstrap_report(folder, "labels", "scores", **kwargs)  # type: ignore[arg-type]
    from multilabel_attr import dask as mdask

    pandas_frame = data.frame()
    pandas_frame["name"] = [f"person-{i}" for i in pandas_frame["row"] // SIZE]
    for name in ("labels", "scores"):  # Arrow list columns: Dask makes objects strings
        values = pa.array(list(pandas_frame[name]), pa.list_(pa.float64()))
        pandas_frame[name] = pd.Series(values, dtype=pd.ArrowDtype(values.type))
    frame = dd.from_map(
        lambda bounds: pandas_frame.iloc[bounds[0] : bounds[1]], [(0, 333), (333, 1500)],
        meta=pandas_frame.iloc[:0], enforce_metadata=False,
    )  # fmt: skip
    import dask

    with dask.config.set(scheduler="synchronous"):
        report = mdask.bootstrap_report(frame, "labels", "scores", **kwargs)  # type: ignore[arg-type]
    assert_intervals_equal(report, expected)
    with pytest.raises(ColumnError, match="labels and cluster name columns of a DataFrame"):
        mdask.bootstrap_report(dask.array.zeros((4, 2)), scores=dask.array.zeros((4, 2)),
                               cluster="name")  # fmt: skip
