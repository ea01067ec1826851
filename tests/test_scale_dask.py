"""The Dask engine on a two-process LocalCluster: equal to the in-memory results."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import pytest

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import dask.array as da
import dask.dataframe as dd
import pandas as pd
import pyarrow as pa

import multilabel_attr as ml
from _scale_data import Data, assert_intervals_equal, assert_reports_equal, make_data
from multilabel_attr import dask as mdask

BOUNDS = [(0, 0), (0, 700), (700, 703), (703, 703), (703, 1500)]


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def data() -> Data:
    return make_data()


@pytest.fixture(scope="module")
def frame(data: Data) -> Any:
    """Five partitions of uneven sizes, two of them empty."""
    pandas_frame = data.frame()
    # Arrays as Arrow list columns: Dask would turn object columns into strings.
    for name in ("labels", "scores"):
        values = pa.array(list(pandas_frame[name]), pa.list_(pa.float64()))
        pandas_frame[name] = pd.Series(values, dtype=pd.ArrowDtype(values.type))
    return dd.from_map(
        lambda bounds: pandas_frame.iloc[bounds[0] : bounds[1]], BOUNDS,
        meta=pandas_frame.iloc[:0], enforce_metadata=False,
    )  # fmt: skip


def _expected(data: Data, threshold: Any, weighted: bool) -> ml.Report:
    return ml.evaluate(
        data.truth, data.scores, threshold=threshold, label_names=data.label_columns,
        sample_weight=data.weight if weighted else None, zero_division=0, ranking=False,
    )  # fmt: skip


@pytest.mark.parametrize("columns", ["scalar", "array"])
def test_frame_equals_in_memory(client: Any, frame: Any, data: Data, columns: str) -> None:
    labels, scores = (
        (data.label_columns, data.score_columns) if columns == "scalar" else ("labels", "scores")
    )
    report = mdask.evaluate(
        frame, labels, scores, weight="w", threshold=data.thresholds,
        label_names=data.label_columns, zero_division=0, ranking=False,
    )  # fmt: skip
    assert_reports_equal(report, _expected(data, data.thresholds, True))


@pytest.mark.parametrize("weighted", [False, True])
def test_arrays_equal_in_memory(client: Any, data: Data, weighted: bool) -> None:
    truth = da.from_array(data.truth, chunks=((200, 1, 999, 300), (3, 4)))
    scores = da.from_array(data.scores, chunks=(250, 7))
    weight = da.from_array(data.weight, chunks=400) if weighted else None
    report = mdask.evaluate(
        truth, scores=scores, weight=weight, threshold=data.thresholds,
        label_names=data.label_columns, zero_division=0, ranking=False,
    )  # fmt: skip
    assert_reports_equal(report, _expected(data, data.thresholds, weighted))
    state = mdask.counts(truth, scores=scores, weight=weight)
    assert state.n_samples == data.truth.shape[0]


def test_bootstrap_does_not_depend_on_chunks(client: Any, frame: Any, data: Data) -> None:
    kwargs: dict[str, Any] = {"n_resamples": 30, "seed": 1}
    a = mdask.bootstrap_report(frame, "labels", "scores", weight="w", **kwargs)
    truth = da.from_array(data.truth, chunks=(333, 7))
    b = mdask.bootstrap_report(
        truth, scores=da.from_array(data.scores, chunks=(900, 7)),
        weight=da.from_array(data.weight, chunks=100), **kwargs,
    )  # fmt: skip
    assert_intervals_equal(b, a)


def _growing_rows(part: Any, counter: str) -> Any:
    """A source that holds one more row each time it is read."""
    from pathlib import Path

    path = Path(counter)
    reads = int(path.read_text()) if path.exists() else 0
    path.write_text(str(reads + 1))
    return part.iloc[: 100 + reads]


def test_a_frame_that_changes_between_the_bootstrap_passes_is_named(
    client: Any, frame: Any, tmp_path: Any
) -> None:
    # A bootstrap keyed by position numbers the rows in a pass of its own; a partition
    # that then holds other rows would draw other rows' multiplicities.
    part = frame.partitions[4].compute()
    changing = dd.from_map(
        partial(_growing_rows, part), [str(tmp_path / "reads")], meta=part.iloc[:0],
        enforce_metadata=False,
    )  # fmt: skip
    with pytest.raises(
        ValueError, match=r"changed between the passes of the bootstrap: partition 0 holds 10[1-9]"
    ):
        mdask.bootstrap_report(changing, "labels", "scores", n_resamples=5)
    # With row ids the draws do not depend on positions: no numbering pass.
    steady = dd.from_map(lambda p: p, [part], meta=part.iloc[:0], enforce_metadata=False)
    mdask.bootstrap_report(steady, "labels", "scores", n_resamples=5)


def test_errors_name_column_and_partition(client: Any, frame: Any, data: Data) -> None:
    scores = data.scores.copy()
    scores[800, 2] = np.nan
    with pytest.raises(ValueError, match=r"column 'y_score' \(position 2\).*row block 1"):
        mdask.evaluate(da.from_array(data.truth, chunks=500), scores=da.from_array(scores, 500))
    bad = frame.assign(y3=frame["y3"] * 2)
    with pytest.raises(ValueError, match=r"column 'y3' \(labels\) in partition [14]"):
        mdask.evaluate(bad, data.label_columns, data.score_columns)
    with pytest.raises(ValueError, match=r"'nope' not found in the DataFrame"):
        mdask.evaluate(frame, "labels", "nope")
    with pytest.raises(ValueError, match="has no rows"):
        mdask.evaluate(frame.partitions[0], "labels", "scores")
    with pytest.raises(ValueError, match="labels' shape"):
        mdask.evaluate(da.from_array(data.truth), scores=da.from_array(data.scores[:10]))


@pytest.mark.parametrize("strategy", ["per_label", "shared"])
def test_thresholds_equal_the_single_machine_search(
    client: Any, frame: Any, data: Data, strategy: str
) -> None:
    from multilabel_attr.thresholds import optimize_thresholds

    expected = optimize_thresholds(
        data.truth, data.scores, strategy=strategy, metric="jaccard", min_positives=5,
        label_names=data.label_columns,
    )  # fmt: skip
    got = mdask.optimize_thresholds(
        frame, data.label_columns, data.score_columns, strategy=strategy, metric="jaccard",
        min_positives=5, n_bins=32,
    )  # fmt: skip
    assert got == expected
    arrays = mdask.optimize_thresholds(
        da.from_array(data.truth, chunks=400), scores=da.from_array(data.scores, chunks=300),
        strategy=strategy, metric="jaccard", min_positives=5, n_bins=32,
        label_names=data.label_columns,
    )  # fmt: skip
    assert arrays == expected


def test_exact_ranking_by_a_shuffle(client: Any, frame: Any, data: Data,
                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from multilabel_attr._scale import _exact

    monkeypatch.setattr(_exact, "CELLS_PER_BUCKET", 2000)  # several buckets
    with pytest.warns(ml.UndefinedMetricWarning):
        report = mdask.evaluate(frame, "labels", "scores", weight="w", ranking="exact",
                                zero_division=0)  # fmt: skip
    with pytest.warns(ml.UndefinedMetricWarning):
        expected = ml.evaluate(data.truth, data.scores, sample_weight=data.weight,
                               zero_division=0)  # fmt: skip
    for column in ("auroc", "average_precision"):
        assert report.per_label[column] == pytest.approx(
            expected.per_label[column], abs=1e-12, nan_ok=True
        )
    arrays = mdask.evaluate(
        da.from_array(data.truth, chunks=600), scores=da.from_array(data.scores, chunks=600),
        ranking="exact", zero_division=0,
    )  # fmt: skip
    unweighted = ml.evaluate(data.truth, data.scores, zero_division=0)
    assert arrays.per_label["auroc"] == pytest.approx(unweighted.per_label["auroc"], abs=1e-12,
                                                      nan_ok=True)  # fmt: skip
    # Bins of a few distinct scores count as crowded here: they are cut by one more pass.
    from multilabel_attr._scale import _crowded

    cuts: list[int] = []
    cut = _exact.Layout.cut
    monkeypatch.setattr(_crowded, "crowding_limit", lambda: 2)
    monkeypatch.setattr(_exact.Layout, "cut", lambda self, targets, *sums: (
        cuts.append(targets.size), cut(self, targets, *sums))[1])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
        again = mdask.evaluate(frame, "labels", "scores", weight="w", ranking="exact",
                               zero_division=0)  # fmt: skip
    assert cuts
    for column in ("auroc", "average_precision"):
        assert again.per_label[column] == pytest.approx(
            expected.per_label[column], abs=1e-12, nan_ok=True
        )
