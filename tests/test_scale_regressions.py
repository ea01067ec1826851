"""The local Parquet engine agrees with memory on the cases where it once did not."""

from __future__ import annotations

import os
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import multilabel_attr as ml  # noqa: E402
from _scale_data import assert_reports_equal  # noqa: E402
from multilabel_attr import parquet as mparquet  # noqa: E402
from multilabel_attr.thresholds import Thresholds, optimize_thresholds  # noqa: E402


def _write(path: Path, truth: np.ndarray, scores: np.ndarray, weight: Any = None,
           group_rows: int = 4) -> Path:  # fmt: skip
    columns: dict[str, Any] = {"y": list(truth.astype(np.int8)), "s": list(scores)}
    if weight is not None:
        columns["w"] = weight
    pq.write_table(pa.table(columns), path, row_group_size=group_rows)
    return path


def _tune_both(path: Path, truth: np.ndarray, scores: np.ndarray, weight: Any = None,
               n_bins: int = 2048, **options: Any) -> tuple[Thresholds, Thresholds]:  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = mparquet.optimize_thresholds(
            path, "y", "s", weight=None if weight is None else "w", n_bins=n_bins, **options
        )
        expected = optimize_thresholds(truth, scores, sample_weight=weight, **options)
    return got, expected


# Hand-computed: label 0 is best left with nothing predicted positive (accuracy 3/4), but a
# score of exactly 1 rules that cut out on the probability scale; of the cuts left, the ones
# above 0.1 and above 0.9 tie at 2/4 and the higher wins: midway between 0.9 and 1.0.  Label
# 1 is best with everything positive: the threshold 0, not a value below it.
TRUTH = np.array([[0, 1], [0, 1], [1, 1], [0, 1]], bool)
SCORES = np.array([[0.1, 0.2], [0.9, 0.3], [0.2, 0.6], [1.0, 0.9]])


@pytest.mark.parametrize("n_bins", [2, 64, 2048])
def test_tuned_thresholds_stay_on_the_probability_scale(tmp_path: Path, n_bins: int) -> None:
    path = _write(tmp_path / "t.parquet", TRUTH, SCORES)
    got, expected = _tune_both(path, TRUTH, SCORES, metric="accuracy", min_positives=0,
                               n_bins=n_bins)  # fmt: skip
    assert got.values.tolist() == [0.95, 0.0]
    assert got == expected


def test_a_numeric_fallback_is_clipped_like_in_memory(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", TRUTH, SCORES)
    with pytest.warns(ml.thresholds.ThresholdWarning, match=r"fallback threshold 1\."):
        got = mparquet.optimize_thresholds(path, "y", "s", fallback=1.5, min_positives=5)
    assert got.values.tolist() == [1.0, 1.0]
    assert got == _tune_both(path, TRUTH, SCORES, fallback=1.5, min_positives=5)[1]


@pytest.mark.parametrize("seed", range(8))
def test_tuning_on_adversarial_data_equals_memory(tmp_path: Path, seed: int) -> None:
    """Ties, scores exactly 0 and 1, labels without positives, zero weights, tiny groups."""
    rng = np.random.default_rng(seed)
    n, n_labels = int(rng.integers(5, 40)), int(rng.integers(1, 4))
    truth = rng.random((n, n_labels)) < rng.uniform(0, 1)
    scores = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0, float(rng.random())], size=(n, n_labels))
    weight = rng.integers(0, 3, n) / 2
    weight[0] = 1.0
    path = _write(tmp_path / "t.parquet", truth, scores, weight, group_rows=3)
    for metric in ("f1", "accuracy", "matthews", "precision"):
        for strategy in ("per_label", "shared"):
            for fallback in ("shared", 1.5, -0.5):
                got, expected = _tune_both(
                    path, truth, scores, weight, metric=metric, strategy=strategy,
                    fallback=fallback, min_positives=3, n_bins=int(rng.choice([2, 16, 2048])),
                )  # fmt: skip
                assert got == expected, (metric, strategy, fallback)


def test_a_row_group_of_zero_weights_is_valid(tmp_path: Path) -> None:
    truth = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1]], bool)
    scores = np.array([[0.8, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.9], [0.1, 0.5], [0.7, 0.2]])
    weight = np.array([0.0, 0.0, 1.0, 2.0, 1.0, 0.5])
    path = _write(tmp_path / "t.parquet", truth, scores, weight, group_rows=2)
    got, expected = _tune_both(path, truth, scores, weight, min_positives=0)
    assert got == expected
    report = mparquet.evaluate(path, "y", "s", weight="w", zero_division=0, ranking=False)
    assert_reports_equal(report, ml.evaluate(truth, scores, sample_weight=weight,
                                             zero_division=0, ranking=False))  # fmt: skip
    sketched = mparquet.evaluate(path, "y", "s", weight="w", zero_division=0)
    sketch = ml.ScoreSketch(2).update(truth, scores, sample_weight=weight)
    assert sketched.per_label["auroc"] == sketch.roc_auc(average=None).value.tolist()


def test_tuning_options_are_checked_before_the_data_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "absent.parquet"
    with pytest.raises(ValueError, match="metric"):
        mparquet.optimize_thresholds(missing, "y", "s", metric="nope")
    with pytest.raises(ValueError, match="'per_label' or 'shared' at scale"):
        mparquet.optimize_thresholds(missing, "y", "s", strategy="coordinate")
    with pytest.raises(ValueError, match="n_bins"):
        mparquet.optimize_thresholds(missing, "y", "s", n_bins=1)


def spark_like_folder(folder: Path, truth: np.ndarray, scores: np.ndarray) -> Path:
    """A folder as a Spark job leaves it: data, a marker, an unfinished task's output and
    hidden files, none of which are data to Spark or pyarrow.dataset."""
    half = truth.shape[0] // 2
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "part-00000.parquet", truth[:half], scores[:half])
    _write(folder / "part-00001.parquet", truth[half:], scores[half:])
    (folder / "_SUCCESS").write_text("")
    (folder / "_temporary" / "0" / "task_0").mkdir(parents=True)
    _write(folder / "_temporary" / "0" / "task_0" / "part-00000.parquet", truth, scores)
    _write(folder / ".part-00000.parquet", truth, scores)
    _write(folder / "_part-00002.parquet", truth, scores)
    return folder


@pytest.mark.filterwarnings("ignore::multilabel_attr.UndefinedMetricWarning")
def test_the_files_spark_skips_are_skipped(tmp_path: Path) -> None:
    import pyarrow.dataset as ds

    folder = spark_like_folder(tmp_path / "out", TRUTH, SCORES)
    assert ds.dataset(folder).count_rows() == 4
    assert mparquet.counts(folder, "y", "s").n_samples == 4
    assert mparquet.evaluate(folder, "y", "s", ranking="exact", zero_division=0).n_samples == 4


def test_the_cli_on_dask_skips_them_too(tmp_path: Path) -> None:
    pytest.importorskip("dask.dataframe")
    from multilabel_attr.cli import main

    folder = spark_like_folder(tmp_path / "out", TRUTH, SCORES)
    out = tmp_path / "report.json"
    code = main(["evaluate", "--parquet", str(folder), "--labels", "y", "--scores", "s",
                 "--engine", "dask", "--format", "json", "-o", str(out)])  # fmt: skip
    assert code == 0
    assert ml.Report.from_json(out).n_samples == 4


def test_read_errors_name_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    _write(folder / "a.parquet", TRUTH, SCORES)
    (folder / "b.parquet").write_bytes(b"not a parquet file" * 4)
    with pytest.raises(ValueError, match=r"cannot read .*b\.parquet.*magic bytes"):
        mparquet.evaluate(folder, "y", "s")
    # Damaged pages behind an intact footer fail while the batches are read.
    blob = bytearray((folder / "a.parquet").read_bytes())
    footer = int.from_bytes(blob[-8:-4], "little") + 8
    blob[4 : len(blob) - footer] = bytes(len(blob) - footer - 4)
    (folder / "b.parquet").write_bytes(bytes(blob))
    with pytest.raises(ValueError, match=r"cannot read .*b\.parquet, row group 0"):
        mparquet.evaluate(folder, "y", "s")


@pytest.mark.filterwarnings("ignore::multilabel_attr.UndefinedMetricWarning")
def test_an_interrupted_exact_run_leaves_no_spill_folder_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys
    import tempfile

    from multilabel_attr._scale._files import SPILL_PREFIX

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    dead = tmp_path / f"{SPILL_PREFIX}{finished.stdout.strip()}-abc"
    (dead / "sub").mkdir(parents=True)
    (dead / "0.arrow").write_bytes(b"left by a killed run")
    alive = tmp_path / f"{SPILL_PREFIX}{os.getpid()}-xyz"
    alive.mkdir()
    path = _write(tmp_path / "t.parquet", TRUTH, SCORES)
    mparquet.evaluate(path, "y", "s", ranking="exact", zero_division=0)
    assert not dead.exists()
    assert alive.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [alive.name, "t.parquet"]


def _named_table(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    truth = rng.random((60, 3)) < 0.4
    scores = np.round(rng.random((60, 3)), 2)
    columns = {f"y{j}": truth[:, j] for j in range(3)} | {f"s{j}": scores[:, j] for j in range(3)}
    path = tmp_path / "named.parquet"
    pq.write_table(pa.table(columns), path, row_group_size=25)
    return path, truth, scores


def test_thresholds_are_applied_by_label_name(tmp_path: Path) -> None:
    path, truth, scores = _named_table(tmp_path)
    names = ["y0", "y1", "y2"]
    reordered = Thresholds([0.7, 0.2, 0.5], label_names=["y2", "y0", "y1"])
    expected = ml.evaluate(truth, scores, threshold=[0.2, 0.5, 0.7], label_names=names,
                           zero_division=0, ranking=False)  # fmt: skip
    got = mparquet.evaluate(path, names, ["s0", "s1", "s2"], threshold=reordered,
                            zero_division=0, ranking=False)  # fmt: skip
    assert_reports_equal(got, expected)
    counted = mparquet.counts(path, names, ["s0", "s1", "s2"], threshold=reordered)
    assert counted == ml.MultilabelCounts.from_batch(
        truth, scores, threshold=[0.2, 0.5, 0.7], label_names=names
    )
    with pytest.raises(ValueError, match=r"not the labels of the data.*no threshold for \['y1'\]"):
        mparquet.evaluate(path, names, ["s0", "s1", "s2"],
                          threshold=Thresholds([0.1, 0.2, 0.3], label_names=["y2", "y0", "x"]))


def test_the_cli_applies_a_thresholds_file_by_label_name(tmp_path: Path) -> None:
    from multilabel_attr.cli import main

    path, truth, scores = _named_table(tmp_path)
    Thresholds([0.7, 0.2, 0.5], label_names=["y2", "y0", "y1"]).to_json(tmp_path / "t.json")
    out = tmp_path / "report.json"
    code = main(["evaluate", "--parquet", str(path), "--labels", "y0,y1,y2", "--scores",
                 "s0,s1,s2", "--thresholds", str(tmp_path / "t.json"), "--format", "json",
                 "-o", str(out)])  # fmt: skip
    assert code == 0
    expected = ml.evaluate(truth, scores, threshold=[0.2, 0.5, 0.7], zero_division=0,
                           label_names=["y0", "y1", "y2"])  # fmt: skip
    assert_reports_equal(ml.Report.from_json(out), expected)


def test_scalar_columns_cost_no_per_column_schema_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one column per label, each file's schema is built once, not once per column:
    the work stays linear in the number of columns."""
    rng = np.random.default_rng(0)
    n_labels = 300
    truth, scores = rng.random((50, n_labels)) < 0.3, rng.random((50, n_labels))
    columns = {f"y{j}": truth[:, j] for j in range(n_labels)}
    columns |= {f"s{j}": scores[:, j] for j in range(n_labels)}
    pq.write_table(pa.table(columns), tmp_path / "wide.parquet", row_group_size=20)
    built = []
    schema = pq.ParquetFile.schema_arrow

    def counted(self: Any) -> Any:
        built.append(1)
        return schema.fget(self)

    monkeypatch.setattr(pq.ParquetFile, "schema_arrow", property(counted))
    labels, score_columns = list(columns)[:n_labels], list(columns)[n_labels:]
    got = mparquet.counts(tmp_path / "wide.parquet", labels, score_columns)
    assert len(built) <= 4
    assert got == ml.MultilabelCounts.from_batch(truth, scores, threshold=0.5, label_names=labels)


def test_dask_integer_column_names_and_unknown_chunks_get_clear_messages() -> None:
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    from multilabel_attr import dask as mdask

    rng = np.random.default_rng(0)
    frame = dd.from_pandas(pd.DataFrame({0: rng.random(20) < 0.5, 1: rng.random(20)}),
                           npartitions=2)  # fmt: skip
    for labels, scores in (([0], [1]), (["0"], ["1"])):
        with pytest.raises(ValueError, match=r"named by strings.*frame\.rename\(columns=str\)"):
            mdask.evaluate(frame, labels, scores)
    renamed = frame.rename(columns=str)
    assert mdask.counts(renamed, ["0"], ["1"]).n_samples == 20
    values = frame.astype(float).to_dask_array()
    with pytest.raises(ValueError, match=r"labels has chunks of unknown size.*compute_chunk_sizes"):
        mdask.evaluate(values[:, :1] > 0.5, scores=values[:, 1:])
    known = frame.astype(float).to_dask_array(lengths=True)
    assert mdask.counts(known[:, :1] > 0.5, scores=known[:, 1:]).n_samples == 20


@pytest.mark.parametrize("change", ["values", "rows"])
@pytest.mark.parametrize("work", ["exact ranking", "the threshold search"])
def test_input_that_changes_between_passes_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, work: str
) -> None:
    path = _write(tmp_path / "t.parquet", TRUTH, SCORES)
    changed = (TRUTH, SCORES[::-1].copy()) if change == "values" else (TRUTH[:3], SCORES[:3])
    run = mparquet.ParquetSource.run

    def rewriting_run(self: Any, task: Any, **options: Any) -> bytes:
        result = run(self, task, **options)
        _write(path, *changed)  # the file is rewritten once the first pass has read it
        return result

    monkeypatch.setattr(mparquet.ParquetSource, "run", rewriting_run)
    call = (
        partial(mparquet.evaluate, path, "y", "s", ranking="exact", zero_division=0)
        if work == "exact ranking"
        else partial(mparquet.optimize_thresholds, path, "y", "s", min_positives=0)
    )
    with pytest.raises(ValueError, match=f"t.parquet changed between the passes of {work}"):
        call()


@pytest.mark.filterwarnings("ignore::multilabel_attr.UndefinedMetricWarning")
def test_the_fingerprint_ignores_how_rows_are_split(tmp_path: Path) -> None:
    """Passes that split the same rows differently (row groups as against shuffle buckets)
    agree: no false alarm on many partitions, zero weights and ties."""
    rng = np.random.default_rng(4)
    truth = rng.random((500, 3)) < 0.3
    scores = np.round(rng.random((500, 3)), 1)
    weight = rng.integers(0, 3, 500) / 2
    path = _write(tmp_path / "t.parquet", truth, scores, weight, group_rows=37)
    report = mparquet.evaluate(path, "y", "s", weight="w", ranking="exact", zero_division=0)
    expected = ml.evaluate(truth, scores, sample_weight=weight, zero_division=0)
    assert_reports_equal(report, expected, tol=1e-9)


def test_exact_ranking_sums_bins_of_one_score(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scores that take few values fill few bins: their cells are summed before the shuffle,
    so what a reducer holds does not grow with the rows (and the values stay exact)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from multilabel_attr._scale import _exact

    rng = np.random.default_rng(5)
    n = 20_000
    truth = rng.random((n, 2)) < 0.3
    scores = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0], size=(n, 2))
    scores[:50, 1] = rng.uniform(0.2, 0.4, 50)  # one label also has bins of many scores
    weight = rng.integers(0, 4, n) / 2
    path = _write(tmp_path / "t.parquet", truth, scores, weight, group_rows=2_000)
    held = []
    group_sums = _exact.group_sums

    def recording(table: Any, offsets: Any) -> Any:
        held.append(table.num_rows)
        return group_sums(table, offsets)

    monkeypatch.setattr(_exact, "group_sums", recording)
    report = mparquet.evaluate(path, "y", "s", weight="w", ranking="exact", zero_division=0)
    assert sum(held) <= 10 * 2 * 2 * 5 + 50
    for j in range(2):
        assert report.per_label["auroc"][j] == pytest.approx(
            roc_auc_score(truth[:, j], scores[:, j], sample_weight=weight), rel=1e-12
        )
        assert report.per_label["average_precision"][j] == pytest.approx(
            average_precision_score(truth[:, j], scores[:, j], sample_weight=weight), rel=1e-12
        )


def test_repeated_row_ids_are_refused_and_named(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    truth, scores = rng.random((40, 2)) < 0.4, rng.random((40, 2))
    folder = tmp_path / "ids"
    folder.mkdir()
    for part in range(2):  # ids that restart in every file
        rows = slice(20 * part, 20 * part + 20)
        columns = {"y": list(truth[rows].astype(np.int8)), "s": list(scores[rows]),
                   "id": np.arange(20, dtype=np.int64)}  # fmt: skip
        pq.write_table(pa.table(columns), folder / f"part-{part}.parquet", row_group_size=8)
    with pytest.raises(ValueError, match=r"column 'id' \(row ids\) repeats 20 value\(s\).*0, 1"):
        mparquet.bootstrap_report(folder, "y", "s", row_id="id", n_resamples=20)
    # Unique ids in any order give the intervals of the same ids read as positions.
    order = rng.permutation(40)
    table = pa.table({"y": list(truth[order].astype(np.int8)), "s": list(scores[order]),
                      "id": order.astype(np.int64)})  # fmt: skip
    pq.write_table(table, tmp_path / "shuffled.parquet", row_group_size=7)
    pq.write_table(table.take(np.argsort(order)), tmp_path / "ordered.parquet")
    got = mparquet.bootstrap_report(tmp_path / "shuffled.parquet", "y", "s", row_id="id",
                                    n_resamples=20)  # fmt: skip
    expected = mparquet.bootstrap_report(tmp_path / "ordered.parquet", "y", "s", n_resamples=20)
    assert got.intervals == expected.intervals


@pytest.mark.parametrize("change", ["values", "rows"])
def test_a_bootstrap_whose_input_changes_between_passes_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """The count pass and the pass that checks the row ids read the same rows, or fail."""

    def write(truth: np.ndarray, scores: np.ndarray) -> Path:
        columns = {"y": list(truth.astype(np.int8)), "s": list(scores),
                   "id": np.arange(len(truth), dtype=np.int64)}  # fmt: skip
        pq.write_table(pa.table(columns), tmp_path / "t.parquet", row_group_size=3)
        return tmp_path / "t.parquet"

    path = write(TRUTH, SCORES)
    call = partial(mparquet.bootstrap_report, path, "y", "s", row_id="id", n_resamples=20)
    unchanged = call()  # the same rows read twice: no alarm
    assert unchanged.summary == mparquet.bootstrap_report(path, "y", "s", n_resamples=20).summary
    changed = (TRUTH, SCORES[::-1].copy()) if change == "values" else (TRUTH[:3], SCORES[:3])
    run = mparquet.ParquetSource.run

    def rewriting_run(self: Any, task: Any, **options: Any) -> bytes:
        result = run(self, task, **options)
        write(*changed)  # the file is rewritten once the count pass has read it
        return result

    monkeypatch.setattr(mparquet.ParquetSource, "run", rewriting_run)
    with pytest.raises(ValueError, match=r"t\.parquet changed between the passes of the bootstrap"):
        call()


@pytest.mark.filterwarnings("ignore::multilabel_attr.UndefinedMetricWarning")
def test_exact_ranking_cuts_bins_crowded_with_distinct_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Distinct scores packed into one sketch bin are cut into finer groups (again where a
    cut is still crowded), so no reducer holds the bin whole; the values stay exact."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from multilabel_attr._scale import _exact

    monkeypatch.setattr(_exact, "CELLS_PER_BUCKET", 1 << 10)  # a crowded group: > 256 cells
    rng = np.random.default_rng(7)
    n = 20_000
    truth = rng.random((n, 3)) < 0.3
    scores = 0.5 + 1e-7 * rng.standard_normal((n, 3))
    scores[:6_000, 0] = 0.5 + 1e-13 * rng.standard_normal(6_000)  # crowded after one cut
    scores[:, 1] = 0.3 + 1e-9 * rng.integers(0, 400, n)  # ties: 400 distinct scores
    scores[:100, 2] = rng.random(100)  # the rest of the range, in other bins
    weight = rng.integers(0, 4, n) / 2
    path = _write(tmp_path / "t.parquet", truth, scores, weight, group_rows=3_000)
    held: list[int] = []
    cuts: list[int] = []
    group_sums, cut = _exact.group_sums, _exact.Layout.cut

    def recording(table: Any, offsets: Any) -> Any:
        held.append(table.num_rows)
        return group_sums(table, offsets)

    def counting(self: Any, targets: Any, *sums: Any) -> Any:
        cuts.append(targets.size)
        return cut(self, targets, *sums)

    monkeypatch.setattr(_exact, "group_sums", recording)
    monkeypatch.setattr(_exact.Layout, "cut", counting)
    report = mparquet.evaluate(path, "y", "s", weight="w", ranking="exact", zero_division=0)
    assert len(cuts) >= 2  # the cluster of label 0 needed a second pass
    assert max(held) <= 4 * 1024  # no bucket holds a bin (of some 20,000 cells) whole
    expected = ml.evaluate(truth, scores, sample_weight=weight, zero_division=0)
    for name, peer in (("auroc", roc_auc_score), ("average_precision", average_precision_score)):
        np.testing.assert_allclose(report.per_label[name], expected.per_label[name], rtol=1e-12,
                                   atol=0)  # fmt: skip
        for j in range(3):
            assert report.per_label[name][j] == pytest.approx(
                peer(truth[:, j], scores[:, j], sample_weight=weight), rel=1e-12
            )
