"""A standing differential check: the three engines against the in-memory functions.

Seeded adversarial data (ties, scores exactly 0 and 1, thresholds equal to scores, labels
without positives or without negatives, a partition whose weights are all zero, empty
partitions, huge weights, 2 to 2,048 sketch bins) is evaluated, sketched, ranked exactly and
tuned for every metric and both strategies of the search at scale, by the local Parquet
engine, Dask (one two-process LocalCluster) and Spark (one local[2] session); any difference
from the in-memory result fails.  Weights are multiples of 1/4 (some of them times 2**30), so
every sum is exact in any order and the comparisons can be exact too.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import multilabel_attr as ml  # noqa: E402
from _scale_data import assert_reports_equal, local_spark  # noqa: E402
from multilabel_attr import parquet as mparquet  # noqa: E402
from multilabel_attr.thresholds import (  # noqa: E402
    Thresholds,
    ThresholdWarning,
    optimize_thresholds,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::multilabel_attr.UndefinedMetricWarning"),
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas"),
]

METRICS: list[dict[str, Any]] = [
    {"metric": "f1"}, {"metric": "fbeta", "beta": 2.0}, {"metric": "jaccard"},
    {"metric": "matthews"}, {"metric": "cohen_kappa"}, {"metric": "balanced_accuracy"},
    {"metric": "youden"}, {"metric": "accuracy"}, {"metric": "precision"}, {"metric": "recall"},
]  # fmt: skip
SEARCHES = [
    {**metric, "strategy": strategy, "fallback": fallback, "min_positives": minimum}
    for metric in METRICS
    for strategy, fallback, minimum in (
        ("per_label", "shared", 4), ("per_label", 1.5, 6), ("shared", "shared", 0)
    )
]
BINS = [2, 3, 17, 256, 2048]


@dataclass(frozen=True)
class Case:
    truth: np.ndarray
    scores: np.ndarray
    weight: np.ndarray
    bounds: list[tuple[int, int]]
    n_bins: int
    threshold: np.ndarray
    from_logits: bool

    @property
    def names(self) -> list[str]:
        return [f"y.{j}" for j in range(self.truth.shape[1])]

    @property
    def score_names(self) -> list[str]:
        return [f"s.{j}" for j in range(self.truth.shape[1])]

    def frame(self) -> Any:
        import pandas as pd

        columns: dict[str, Any] = {}
        for j, (name, score) in enumerate(zip(self.names, self.score_names)):
            columns[name] = self.truth[:, j].astype(np.int64)
            columns[score] = self.scores[:, j]
        frame = pd.DataFrame(columns)
        frame["labels"] = list(self.truth.astype(np.float64))
        frame["scores"] = list(self.scores)
        frame["w"] = self.weight
        frame["part"] = np.concatenate(
            [np.full(stop - start, index) for index, (start, stop) in enumerate(self.bounds)]
        ).astype(np.int64)
        return frame


def _scores(rng: np.random.Generator, shape: tuple[int, int], from_logits: bool) -> np.ndarray:
    kind = rng.integers(0, 3)
    if kind == 0:  # few values, the ends included: ties everywhere
        values = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
        scores = rng.choice(values, size=shape)
    elif kind == 1:  # continuous, with some exact 0 and 1
        scores = rng.random(shape)
        scores[rng.random(shape) < 0.1] = rng.choice([0.0, 1.0])
    else:  # rounded: several tie groups per bin
        scores = np.round(rng.random(shape), 2)
    if from_logits:
        scores = np.round(8 * scores - 4, 3)
    return scores


def make_case(seed: int) -> Case:
    rng = np.random.default_rng(seed)
    n, n_labels = int(rng.integers(40, 160)), int(rng.integers(1, 5))
    from_logits = bool(seed % 5 == 4)
    truth = rng.random((n, n_labels)) < rng.uniform(0.05, 0.7, n_labels)
    if seed % 3 == 0:
        truth[:, 0] = False  # no positives
    if n_labels > 1 and seed % 2:
        truth[:, -1] = True  # no negatives
    scores = _scores(rng, truth.shape, from_logits)
    weight = rng.integers(0, 6, n) / 4
    if seed % 4 == 1:
        weight = weight * 2.0**30  # huge weights, still exact in float64
    cuts = np.sort(rng.integers(0, n, 4))
    edges = [0, *cuts.tolist(), n]
    bounds = list(itertools.pairwise(edges))
    start, stop = max(bounds, key=lambda b: b[1] - b[0])
    zero = (start, start + (stop - start) // 2)
    weight[zero[0] : zero[1]] = 0.0  # a partition whose weights are all zero
    bounds = sorted({*bounds, zero, (zero[1], stop)} - {(start, stop)})
    weight[rng.integers(zero[1], n)] = max(weight.max(), 1.0)
    threshold = np.array([rng.choice(scores[:, j]) for j in range(n_labels)])
    if from_logits:
        threshold = 1 / (1 + np.exp(-threshold))  # thresholds stay probabilities
    return Case(truth, scores, weight, bounds, int(rng.choice(BINS)), threshold, from_logits)


CASES = [make_case(seed) for seed in range(10)]


# -- engines -----------------------------------------------------------------------------------


def parquet_folder(case: Case, folder: Path) -> Path:
    """One file per partition (row groups of 16 rows), beside decoys Spark would skip."""
    frame = case.frame()
    folder.mkdir(parents=True)
    for index, (start, stop) in enumerate(case.bounds):
        table = pa.Table.from_pandas(frame.iloc[start:stop], preserve_index=False)
        pq.write_table(table, folder / f"part-{index:05d}.parquet", row_group_size=16)
    (folder / "_temporary" / "0").mkdir(parents=True)
    decoy = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(decoy, folder / "_temporary" / "0" / "part-00000.parquet")
    pq.write_table(decoy, folder / ".part-00000.parquet")
    return folder


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, Client(cluster) as connected:
        yield connected


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    yield from local_spark("multilabel_attr-differential", shuffle_partitions=3, batch_rows=16)


def dask_frame(case: Case) -> Any:
    import dask.dataframe as dd
    import pandas as pd

    frame = case.frame()
    for name in ("labels", "scores"):
        values = pa.array(list(frame[name]), pa.list_(pa.float64()))
        frame[name] = pd.Series(values, dtype=pd.ArrowDtype(values.type))
    return dd.from_map(lambda b: frame.iloc[b[0] : b[1]], case.bounds, meta=frame.iloc[:0],
                       enforce_metadata=False)  # fmt: skip


def spark_frame(case: Case, spark: Any) -> Any:
    frame = spark.createDataFrame(case.frame())
    return frame.repartition(len(case.bounds), "part").cache()


Runner = Callable[..., Any]


def runners(case: Case, tmp_path: Path, engine: str, spark: Any = None) -> Runner:
    """``call(function_name, scalar_columns, **options)`` on the engine's copy of the case."""
    if engine == "local":
        data: Any = parquet_folder(case, tmp_path / "data")
        module: Any = mparquet
    elif engine == "dask":
        from multilabel_attr import dask as module

        data = dask_frame(case)
    else:
        from multilabel_attr import spark as module

        data = spark_frame(case, spark)

    def call(function: str, scalar: bool, **options: Any) -> Any:
        labels, scores = (case.names, case.score_names) if scalar else ("labels", "scores")
        return getattr(module, function)(data, labels, scores, weight="w", **options)

    return call


# -- comparisons -------------------------------------------------------------------------------


def check_evaluation(case: Case, call: Runner) -> None:
    common = {"label_names": case.names, "zero_division": 0}
    expected = ml.evaluate(
        case.truth, case.scores, threshold=case.threshold, sample_weight=case.weight,
        from_logits=case.from_logits, ranking=False, **common,
    )  # fmt: skip
    for scalar in (False, True):
        got = call("evaluate", scalar, threshold=case.threshold, from_logits=case.from_logits,
                   ranking=False, **common)  # fmt: skip
        assert_reports_equal(got, expected, tol=0.0)
    named = Thresholds(case.threshold[::-1], label_names=case.names[::-1])
    got = call("evaluate", True, threshold=named, from_logits=case.from_logits, ranking=False,
               zero_division=0)  # fmt: skip
    assert_reports_equal(got, expected, tol=0.0)
    if case.from_logits:
        return
    sketch = ml.ScoreSketch(case.truth.shape[1], n_bins=case.n_bins)
    sketch.update(case.truth, case.scores, sample_weight=case.weight)
    sketched = call("evaluate", False, ranking=case.n_bins, **common)
    for name, estimate in (("auroc", sketch.roc_auc(average=None)),
                           ("average_precision", sketch.average_precision(average=None))):
        np.testing.assert_array_equal(sketched.per_label[name], estimate.value)
        np.testing.assert_array_equal(sketched.per_label[f"{name}_bound"], estimate.bound)
    exact = call("evaluate", False, ranking="exact", **common)
    reference = ml.evaluate(case.truth, case.scores, sample_weight=case.weight, **common)
    for name in ("auroc", "average_precision"):
        np.testing.assert_allclose(exact.per_label[name], reference.per_label[name],
                                   rtol=1e-12, atol=0)  # fmt: skip


def check_tuning(case: Case, call: Runner, searches: list[dict[str, Any]]) -> None:
    for options in searches:
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            got = call("optimize_thresholds", True, n_bins=case.n_bins,
                       from_logits=case.from_logits, **options)  # fmt: skip
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            expected = optimize_thresholds(
                case.truth, case.scores, sample_weight=case.weight, label_names=case.names,
                from_logits=case.from_logits, **options,
            )  # fmt: skip
        assert got == expected, options
        assert _threshold_warnings(ours) == _threshold_warnings(theirs), options


def _threshold_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, ThresholdWarning)]


def searches_for(index: int, share: int) -> list[dict[str, Any]]:
    """A rotating share of the searches (the local engine meets every one of them; Dask and
    Spark, on cases of their own, a third each)."""
    return [s for number, s in enumerate(SEARCHES) if number % share == index % share]


# -- the checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(CASES)))
def test_local_engine_equals_memory(index: int, tmp_path: Path) -> None:
    case = CASES[index]
    call = runners(case, tmp_path, "local")
    check_evaluation(case, call)
    check_tuning(case, call, searches_for(index, 3))


@pytest.mark.parametrize("index", range(3))
def test_dask_equals_memory(index: int, client: Any, tmp_path: Path) -> None:
    case = CASES[index]
    call = runners(case, tmp_path, "dask")
    check_evaluation(case, call)
    check_tuning(case, call, searches_for(index, 10))


@pytest.mark.parametrize("index", range(5, 7))
def test_spark_equals_memory(index: int, spark: Any, tmp_path: Path) -> None:
    case = CASES[index]
    call = runners(case, tmp_path, "spark", spark)
    check_evaluation(case, call)
    check_tuning(case, call, searches_for(index, 10))


def test_a_spark_output_folder_holds_the_same_rows_everywhere(spark: Any, tmp_path: Path) -> None:
    case = CASES[0]
    folder = parquet_folder(case, tmp_path / "data")
    n_rows = case.truth.shape[0]
    assert spark.read.parquet(str(folder)).count() == n_rows
    assert mparquet.counts(folder, "labels", "scores").n_samples == n_rows


def test_dask_input_that_changes_between_passes_is_named(client: Any) -> None:
    """A frame built by unseeded random draws is new in every computation."""
    import dask.dataframe as dd
    import pandas as pd

    def draw(_: int) -> Any:
        rng = np.random.default_rng()
        return pd.DataFrame({"y": rng.random(30) < 0.5, "s": rng.random(30)})

    frame = dd.from_map(draw, range(3), meta=draw(0).iloc[:0], enforce_metadata=False)
    from multilabel_attr import dask as mdask

    with pytest.raises(ValueError, match="changed between the passes of the threshold search"):
        mdask.optimize_thresholds(frame, ["y"], ["s"], min_positives=0)
    with pytest.raises(ValueError, match="changed between the passes of exact ranking"):
        mdask.evaluate(frame, ["y"], ["s"], ranking="exact", zero_division=0)
