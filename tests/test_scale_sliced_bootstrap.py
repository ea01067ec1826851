"""Intervals on slices and gaps on every engine: each partition counts its slices' replicate
counts with the core's code, the partitions add up, and every interval equals the in-memory
``bootstrap_report(..., groups=...)`` on the same rows with the same draws."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import pandas as pd  # noqa: E402

import multilabel_attr as ml  # noqa: E402
from _scale_data import local_spark  # noqa: E402
from multilabel_attr import parquet as mparquet  # noqa: E402
from multilabel_attr._scale._columns import ColumnError  # noqa: E402
from multilabel_attr.core._internal import poisson_multiplicities  # noqa: E402

NAMES = ["Male", "Young", "Smiling", "Hat"]
SCORES = [f"s_{name}" for name in NAMES]
B, SEED = 30, 5
REL = {"rel": 1e-12, "abs": 1e-12, "nan_ok": True}


@dataclass(frozen=True)
class Rows:
    truth: np.ndarray
    scores: np.ndarray
    weight: np.ndarray
    site: np.ndarray
    person: np.ndarray
    thresholds: np.ndarray

    @property
    def name(self) -> np.ndarray:
        return np.array([f"person-{p}" for p in self.person])

    def frame(self) -> pd.DataFrame:
        columns: dict[str, Any] = {name: self.truth[:, j] for j, name in enumerate(NAMES)}
        columns.update({name: self.scores[:, j] for j, name in enumerate(SCORES)})
        frame = pd.DataFrame(columns)
        frame["site"] = self.site
        frame["w"] = self.weight
        frame["person"] = self.person
        frame["name"] = self.name
        frame["row"] = np.arange(len(frame), dtype=np.int64)
        return frame


def _rows(n: int = 900, seed: int = 0) -> Rows:
    rng = np.random.default_rng(seed)
    truth = (rng.random((n, len(NAMES))) < [0.5, 0.6, 0.3, 0.02]).astype(np.int64)
    scores = np.clip(0.35 * truth + 0.65 * rng.random(truth.shape), 0, 1)
    site = rng.choice(np.array(["north", "south", "west"]), n, p=[0.5, 0.42, 0.08])
    weight = rng.uniform(0, 2, n)
    weight[rng.random(n) < 0.05] = 0.0
    person = rng.permutation(n) // 3  # clusters of three rows, spread over the files
    return Rows(truth, scores, weight, site, person, rng.uniform(0.35, 0.65, len(NAMES)))


@pytest.fixture(scope="module")
def rows() -> Rows:
    return _rows()


def _write(frame: pd.DataFrame, folder: Path, bounds: list[int], group_rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (start, stop) in enumerate(itertools.pairwise(bounds)):
        table = pa.Table.from_pandas(frame.iloc[start:stop], preserve_index=False)
        pq.write_table(table, folder / f"part-{i}.parquet", row_group_size=group_rows)
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, rows: Rows) -> Path:
    """Three files of several row groups each."""
    return _write(rows.frame(), tmp_path_factory.mktemp("boot"), [0, 310, 311, 900], 128)


def _memory(truth: Any, scores: Any, groups: Any, **options: Any) -> ml.SlicedReport:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
        options = {"n_resamples": B, "seed": SEED, "ranking": False, **options}
        return ml.bootstrap_report(truth, scores, groups=groups, **options)


def assert_same_intervals(engine: ml.SlicedReport, memory: ml.SlicedReport) -> None:
    assert engine.factors == memory.factors and engine.keys == memory.keys
    assert engine.sizes == memory.sizes and engine.hidden == memory.hidden
    assert engine.confidence_level == memory.confidence_level
    assert list(engine.reports) == list(memory.reports)
    for name, report in memory.reports.items():
        other = engine.reports[name]
        assert other.label_names == report.label_names
        assert other.summary == pytest.approx(report.summary, **REL), name
        for column, values in report.per_label.items():
            assert other.per_label[column] == pytest.approx(values, **REL), (name, column)
        assert other.intervals.keys() == report.intervals.keys()
        for key, interval in report.intervals.items():
            assert other.intervals[key] == pytest.approx(interval, **REL), (name, key)
    assert engine.gap_intervals.keys() == memory.gap_intervals.keys()
    assert len(memory.gap_intervals) > 0
    for key, interval in memory.gap_intervals.items():
        assert engine.gap_intervals[key] == pytest.approx(interval, **REL), key


def test_string_key_column_with_weights_equals_memory(folder: Path, rows: Rows) -> None:
    report = mparquet.bootstrap_report(
        folder, NAMES, SCORES, weight="w", groups="site", n_resamples=B, seed=SEED,
        threshold=rows.thresholds, confidence_level=0.9,
    )  # fmt: skip
    memory = _memory(
        rows.truth, rows.scores, {"site": rows.site}, sample_weight=rows.weight,
        threshold=rows.thresholds, label_names=NAMES, confidence_level=0.9,
    )  # fmt: skip
    assert isinstance(report, ml.SlicedReport) and report.factors == ("site",)
    assert_same_intervals(report, memory)
    gap = report.disparity("f1")
    assert gap.intervals["difference"] == [
        report.gap_intervals[f"difference:f1:{name}"] for name in NAMES
    ]


def test_label_columns_as_groups_equal_memory(folder: Path, rows: Rows) -> None:
    """Per-label thresholds too: those of the labels sliced by are left out with them."""
    report = mparquet.bootstrap_report(
        folder, NAMES, SCORES, groups=["Male", "Young"], n_resamples=B, seed=SEED,
        min_slice_size=200, threshold=rows.thresholds,
    )  # fmt: skip
    memory = _memory(rows.truth, rows.scores, ["Male", "Young"], label_names=NAMES,
                     min_slice_size=200, threshold=rows.thresholds)  # fmt: skip
    assert report.slice_labels == ("Male", "Young")
    assert report.overall.label_names == ("Smiling", "Hat")
    assert report.hidden
    assert_same_intervals(report, memory)
    assert report.overall.per_label["threshold"] == list(rows.thresholds[2:])
    plain = mparquet.evaluate(folder, NAMES, SCORES, groups=["Male", "Young"], ranking=False,
                              threshold=rows.thresholds, zero_division=0)  # fmt: skip
    assert plain.overall.per_label["threshold"] == list(rows.thresholds[2:])


def test_key_column_crossed_with_a_label(folder: Path, rows: Rows) -> None:
    """The label sliced by is left out of the counted labels: memory on the other labels,
    sliced by the site and that label's values, draws the same replicates."""
    report = mparquet.bootstrap_report(
        folder, NAMES, SCORES, weight="w", groups=["site", "Male"], n_resamples=B, seed=SEED,
    )  # fmt: skip
    groups = {"site": rows.site, "Male": rows.truth[:, 0]}
    memory = _memory(rows.truth[:, 1:], rows.scores[:, 1:], groups, sample_weight=rows.weight,
                     label_names=NAMES[1:])  # fmt: skip
    assert report.factors == ("site", "Male")
    assert_same_intervals(report, memory)


def test_logits_and_per_label_thresholds_crossed_with_a_label(
    tmp_path: Path, rows: Rows
) -> None:
    frame = rows.frame()
    frame[SCORES] = np.round(8 * frame[SCORES] - 4, 3)
    folder = _write(frame, tmp_path / "logits", [0, 450, 900], 100)
    report = mparquet.bootstrap_report(
        folder, NAMES, SCORES, weight="w", groups=["site", "Male"], threshold=rows.thresholds,
        from_logits=True, n_resamples=B, seed=SEED,
    )  # fmt: skip
    logits = frame[SCORES].to_numpy()
    memory = _memory(
        rows.truth[:, 1:], logits[:, 1:], {"site": rows.site, "Male": rows.truth[:, 0]},
        sample_weight=rows.weight, threshold=rows.thresholds[1:], from_logits=True,
        label_names=NAMES[1:],
    )  # fmt: skip
    assert_same_intervals(report, memory)


@pytest.mark.parametrize("column", ["person", "name"])
def test_cluster_ids_equal_memory(folder: Path, rows: Rows, column: str) -> None:
    report = mparquet.bootstrap_report(
        folder, NAMES, SCORES, weight="w", groups="site", cluster=column, n_resamples=B,
        seed=SEED,
    )  # fmt: skip
    ids = rows.person if column == "person" else rows.name
    memory = _memory(rows.truth, rows.scores, {"site": rows.site}, sample_weight=rows.weight,
                     cluster=ids, label_names=NAMES)  # fmt: skip
    assert_same_intervals(report, memory)
    plain = _memory(rows.truth, rows.scores, {"site": rows.site}, sample_weight=rows.weight,
                    label_names=NAMES)  # fmt: skip
    assert report.gap_intervals != plain.gap_intervals  # the draws are the clusters'


def test_row_ids_key_the_draws_whatever_the_order_of_the_files(
    tmp_path: Path, rows: Rows
) -> None:
    """Rows stored in another order, keyed by their ``row_id``, draw what their positions draw
    in memory; a slice's interval is also a loop of scikit-learn's weighted F1."""
    skm = pytest.importorskip("sklearn.metrics")
    order = np.random.default_rng(1).permutation(len(rows.site))
    shuffled = _write(rows.frame().iloc[order], tmp_path / "shuffled", [0, 450, 900], 100)
    report = mparquet.bootstrap_report(
        shuffled, NAMES, SCORES, groups="site", row_id="row", n_resamples=B, seed=SEED,
    )  # fmt: skip
    memory = _memory(rows.truth, rows.scores, {"site": rows.site}, label_names=NAMES)
    assert_same_intervals(report, memory)
    at = np.flatnonzero(rows.site == "south")
    draws = poisson_multiplicities(SEED, at.astype(np.int64), B).astype(np.float64)
    truth, pred = rows.truth[at], rows.scores[at] >= 0.5
    f1 = np.array([skm.f1_score(truth[:, 2], pred[:, 2], sample_weight=w, zero_division=0)
                   for w in draws])  # fmt: skip
    expected = np.percentile(f1, [2.5, 97.5])
    assert report.slice("site=south").intervals["f1:Smiling"] == pytest.approx(expected, abs=1e-12)


def test_options_are_checked_before_the_data_is_read(folder: Path) -> None:
    missing = folder / "no-such-folder"
    with pytest.raises(ml.InputError, match="min_slice_size") as caught:
        mparquet.bootstrap_report(missing, NAMES, SCORES, groups="site", min_slice_size=-1)
    assert caught.value.argument == "min_slice_size"
    with pytest.raises(ml.InputError, match="max_slices") as caught:
        mparquet.bootstrap_report(missing, NAMES, SCORES, groups="site", max_slices=0)
    assert caught.value.argument == "max_slices"
    with pytest.raises(ValueError, match="more than max_slices=2"):
        mparquet.bootstrap_report(folder, NAMES, SCORES, groups="site", max_slices=2,
                                  n_resamples=B)  # fmt: skip
    with pytest.raises(ValueError, match="larger than every slice"):
        mparquet.bootstrap_report(folder, NAMES, SCORES, groups="site", min_slice_size=10**6,
                                  n_resamples=B)  # fmt: skip
    with pytest.raises(ColumnError, match=r"column\(s\) 'region' not found"):
        mparquet.bootstrap_report(folder, NAMES, SCORES, groups="region", n_resamples=B)


def test_dask_frame_equals_memory(rows: Rows) -> None:
    pytest.importorskip("dask.dataframe")
    import dask
    import dask.dataframe as dd

    from multilabel_attr import dask as mdask

    frame = dd.from_pandas(rows.frame(), npartitions=3)
    with dask.config.set(scheduler="synchronous"):
        report = mdask.bootstrap_report(
            frame, NAMES, SCORES, weight="w", groups=["site", "Young"], cluster="name",
            n_resamples=B, seed=SEED,
        )  # fmt: skip
    kept = [0, 2, 3]
    groups = {"site": rows.site, "Young": rows.truth[:, 1]}
    memory = _memory(rows.truth[:, kept], rows.scores[:, kept], groups, cluster=rows.name,
                     sample_weight=rows.weight, label_names=[NAMES[j] for j in kept])  # fmt: skip
    assert_same_intervals(report, memory)
    with pytest.raises(ColumnError, match="groups names columns of a DataFrame"):
        mdask.bootstrap_report(dask.array.zeros((4, 2)), scores=dask.array.zeros((4, 2)),
                               groups="site")  # fmt: skip


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    yield from local_spark("multilabel_attr-sliced-bootstrap", shuffle_partitions=4)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas")
def test_spark_frame_equals_memory(spark: Any, rows: Rows) -> None:
    from multilabel_attr import spark as mspark

    frame = spark.createDataFrame(rows.frame()).repartition(3)
    common = {"weight": "w", "n_resamples": B, "seed": SEED}
    by_cluster = mspark.bootstrap_report(
        frame, NAMES, SCORES, groups=["site", "Male"], cluster="person", **common
    )
    memory = _memory(
        rows.truth[:, 1:], rows.scores[:, 1:], {"site": rows.site, "Male": rows.truth[:, 0]},
        cluster=rows.person, sample_weight=rows.weight, label_names=NAMES[1:],
    )  # fmt: skip
    assert_same_intervals(by_cluster, memory)
    by_id = mspark.bootstrap_report(frame, NAMES, SCORES, groups="site", row_id="row", **common)
    memory = _memory(rows.truth, rows.scores, {"site": rows.site}, sample_weight=rows.weight,
                     label_names=NAMES)  # fmt: skip
    assert_same_intervals(by_id, memory)


class _Tables:
    """An engine over in-memory Arrow tables, one partition each (empty ones too)."""

    def __init__(self, tables: list[Any]) -> None:
        self.tables = tables

    def describe(self) -> str:
        return "the tables"

    def columns(self) -> list[str]:
        return list(self.tables[0].schema.names)

    def run(self, task: Any, *, row_offsets: bool = False, merge: Any = None) -> bytes:
        from multilabel_attr._scale._partition import merge_payloads

        payloads, first = [], 0
        for i, table in enumerate(self.tables):
            payloads.append(task(table.to_batches(), f"partition {i}", first if row_offsets else 0))
            first += table.num_rows
        return merge_payloads(*payloads)


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(4, 40),
    n_labels=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
    cuts=st.lists(st.floats(0, 1), max_size=4),
    weighted=st.booleans(),
    clustered=st.booleans(),
)
def test_any_partitioning_gives_the_in_memory_intervals(
    n: int, n_labels: int, seed: int, cuts: list[float], weighted: bool, clustered: bool
) -> None:
    """Partitions of any size (empty, one row, a slice split over several) add up to the
    replicate counts of memory, so every interval is the same."""
    from multilabel_attr._scale import _driver
    from multilabel_attr._scale._columns import ColumnSpec

    rng = np.random.default_rng(seed)
    truth = rng.random((n, n_labels)) < 0.5
    scores = rng.random((n, n_labels))
    site = rng.choice(np.array(["a", "b", "c"]), n)
    weight = np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0.1, 2, n))
    person = rng.integers(0, max(2, n // 3), n)
    columns: dict[str, Any] = {f"y{j}": truth[:, j] for j in range(n_labels)}
    columns |= {f"s{j}": scores[:, j] for j in range(n_labels)}
    table = pa.table({**columns, "site": site, "w": weight, "person": person})
    bounds = [0, *sorted(int(c * n) for c in cuts), n]
    tables = [table.slice(a, b - a) for a, b in itertools.pairwise(bounds)]
    spec = ColumnSpec.build(
        [f"y{j}" for j in range(n_labels)], [f"s{j}" for j in range(n_labels)],
        "w" if weighted else None, groups="site", cluster="person" if clustered else None,
    )  # fmt: skip
    options = {"n_resamples": 20, "confidence_level": 0.9, "seed": seed}

    def memory() -> ml.SlicedReport:
        return _memory(
            truth, scores, {"site": site}, threshold=0.5, cluster=person if clustered else None,
            sample_weight=weight if weighted else None, label_names=spec.label_names, **options,
        )  # fmt: skip

    def engine() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
            return _driver.bootstrap_report(
                _Tables(tables), spec, threshold=0.5, from_logits=False, label_names=None,
                **options,
            )  # fmt: skip

    if weighted and any(weight[site == key].sum() == 0 for key in np.unique(site)):
        # A slice whose rows all weigh 0 has no metric: refused on both paths alike.
        for call in (memory, engine):
            with pytest.raises(ValueError, match="sample_weight 0"):
                call()
        return
    report = engine()
    assert isinstance(report, ml.SlicedReport)
    assert_same_intervals(report, memory())
