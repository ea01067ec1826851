"""Calibration on the engines: the metrics' state equals the in-memory state on the same rows,
and Platt and temperature fits by one job per Newton pass equal the in-memory fit to 1e-8."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import multilabel_attr as ml  # noqa: E402
from _scale_data import Data, local_spark, make_data  # noqa: E402
from multilabel_attr import parquet as mparquet  # noqa: E402
from multilabel_attr.calibration import Calibrator, fit_calibrator  # noqa: E402

BOUNDS = [0, 0, 400, 403, 1100, 1500]


@pytest.fixture(scope="module")
def data() -> Data:
    base = make_data()
    # Both classes in every label, so that Platt and temperature scaling are defined.
    truth = base.truth.copy()
    truth[:3, 0], truth[:3, 1] = True, False
    return Data(truth, base.scores, base.weight, base.thresholds)


@pytest.fixture(scope="module")
def folder(data: Data, tmp_path_factory: pytest.TempPathFactory) -> Path:
    frame = data.frame()
    root = tmp_path_factory.mktemp("calibration")
    for index, (start, stop) in enumerate(itertools.pairwise(BOUNDS)):
        table = pa.Table.from_pandas(frame.iloc[start:stop], preserve_index=False)
        pq.write_table(table, root / f"part-{index:03d}.parquet", row_group_size=97)
    return root


def assert_states_equal(state: ml.CalibrationState, data: Data, weighted: bool) -> None:
    weights = data.weight if weighted else None
    expected = ml.CalibrationState(data.n_labels, n_bins=10).update(
        data.truth, data.scores, sample_weight=weights
    )
    for average in (None, "macro", "weighted", "micro"):
        for strategy in ("uniform", "quantile"):
            for norm in ("l1", "max"):
                np.testing.assert_allclose(
                    state.calibration_error(norm, average=average, strategy=strategy),
                    expected.calibration_error(norm, average=average, strategy=strategy),
                    rtol=1e-12, atol=1e-12,
                )  # fmt: skip
        np.testing.assert_allclose(state.brier_score(average), expected.brier_score(average),
                                   rtol=1e-12, atol=1e-12)  # fmt: skip
        np.testing.assert_allclose(state.log_loss(average), expected.log_loss(average),
                                   rtol=1e-12, atol=1e-12)  # fmt: skip
    assert state.n_samples == expected.n_samples


def assert_fit_equal(fitted: Calibrator, data: Data, method: str, shared: bool) -> None:
    expected = fit_calibrator(data.truth, data.scores, method=method, shared=shared,
                              sample_weight=data.weight)  # fmt: skip
    for name, values in expected.params.items():
        np.testing.assert_allclose(fitted.params[name], values, rtol=0, atol=1e-8)
    assert fitted.n_samples == expected.n_samples and fitted.shared == shared


@pytest.mark.parametrize("columns", ["scalar", "array"])
@pytest.mark.parametrize("weighted", [False, True])
def test_parquet_state_equals_in_memory(
    data: Data, folder: Path, columns: str, weighted: bool
) -> None:
    labels, scores = (
        (data.label_columns, data.score_columns) if columns == "scalar" else ("labels", "scores")
    )
    state = mparquet.calibration_state(folder, labels, scores, weight="w" if weighted else None,
                                       n_bins=10)  # fmt: skip
    assert_states_equal(state, data, weighted)
    if columns == "scalar":
        assert state.label_names == tuple(data.label_columns)


@pytest.mark.parametrize(("method", "shared"), [("platt", False), ("temperature", False),
                                                ("temperature", True)])  # fmt: skip
def test_parquet_newton_fit_equals_in_memory(
    data: Data, folder: Path, method: str, shared: bool
) -> None:
    fitted = mparquet.fit_calibrator(folder, "labels", "scores", weight="w", method=method,
                                     shared=shared)  # fmt: skip
    assert_fit_equal(fitted, data, method, shared)
    assert fitted.iterations is not None and fitted.iterations >= 3


def test_parquet_errors(data: Data, folder: Path, tmp_path: Path) -> None:
    # Refused at the door: the path is never opened.
    with pytest.raises(ValueError, match=r"method must be one of 'platt' .* got 'isotonic'"):
        mparquet.fit_calibrator(tmp_path / "absent", "labels", "scores", method="isotonic")
    with pytest.raises(ValueError, match="n_bins must be at least 1"):
        mparquet.calibration_state(folder, "labels", "scores", n_bins=0)
    with pytest.raises(TypeError, match=r"from_logits must be True or False \(a bool\)"):
        mparquet.fit_calibrator(folder, "labels", "scores", from_logits="no")  # type: ignore[arg-type]
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"y": [0, 1, 1], "s": [0.2, 1.5, 0.4]}), path, row_group_size=2)
    with pytest.raises(ValueError, match=r"column 's' \(scores\) in .*probabilities.*from_logits"):
        mparquet.calibration_state(path, ["y"], ["s"])
    one_class = tmp_path / "one.parquet"
    pq.write_table(pa.table({"y": [0, 0, 0], "s": [0.2, 0.5, 0.4]}), one_class)
    with pytest.raises(ValueError, match=r"label\(s\) y have one class only"):
        mparquet.fit_calibrator(one_class, ["y"], ["s"])


def test_dask_equals_in_memory(data: Data) -> None:
    dd = pytest.importorskip("dask.dataframe")
    pytest.importorskip("dask.array")
    import dask
    import dask.array as da

    from multilabel_attr import dask as mdask

    frame = dd.from_pandas(data.frame().drop(columns=["labels", "scores"]), npartitions=4)
    with dask.config.set(scheduler="threads"):
        state = mdask.calibration_state(frame, data.label_columns, data.score_columns,
                                          weight="w", n_bins=10)  # fmt: skip
        assert_states_equal(state, data, True)
        truth = da.from_array(data.truth.astype(np.int64), chunks=(400, data.n_labels))
        scores = da.from_array(data.scores, chunks=(400, data.n_labels))
        weight = da.from_array(data.weight, chunks=400)
        fitted = mdask.fit_calibrator(truth, scores=scores, weight=weight, method="platt")
    assert_fit_equal(fitted, data, "platt", False)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    yield from local_spark("multilabel_attr-calibration-tests", batch_rows=200)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
def test_spark_equals_in_memory(spark: Any, data: Data) -> None:
    from multilabel_attr import spark as mspark

    frame = spark.createDataFrame(data.frame()).repartition(3).cache()
    state = mspark.calibration_state(frame, "labels", "scores", weight="w", n_bins=10)
    assert_states_equal(state, data, True)
    fitted = mspark.fit_calibrator(frame, "labels", "scores", weight="w", method="temperature")
    assert_fit_equal(fitted, data, "temperature", False)
