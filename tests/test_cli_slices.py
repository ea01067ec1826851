"""``multilabel-attr evaluate --group-by``: slices from arrays and from Parquet columns."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.cli import main

NAMES = ["Male", "Young", "Smiling", "Bald"]


def _arrays(tmp_path: Path) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    y = (rng.random((300, 4)) < [0.5, 0.7, 0.4, 0.1]).astype(np.int64)
    s = np.clip(0.5 * y + 0.6 * rng.random(y.shape), 0, 1)
    header = ",".join(NAMES)
    np.savetxt(tmp_path / "y.csv", y, delimiter=",", header=header, comments="", fmt="%d")
    np.savetxt(tmp_path / "s.csv", s, delimiter=",", header=header, comments="", fmt="%.17g")
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s)
    return y, s


def test_group_by_label_columns_of_arrays(tmp_path: Path) -> None:
    y, s = _arrays(tmp_path)
    out = tmp_path / "sliced.json"
    code = main(["evaluate", "--labels", str(tmp_path / "y.csv"), "--scores",
                 str(tmp_path / "s.csv"), "--group-by", "Male,Young", "--min-slice-size", "40",
                 "--format", "json", "-o", str(out)])  # fmt: skip
    assert code == 0
    report = ml.SlicedReport.from_dict(json.loads(out.read_text()))
    expected = ml.evaluate(y, s, groups=["Male", "Young"], label_names=NAMES,
                           min_slice_size=40, zero_division=0)  # fmt: skip
    assert report.to_dict() == expected.to_dict()
    assert report.hidden  # Male=x, Young=0 slices are small
    rows = (y[:, 0] == 1) & (y[:, 1] == 1)
    alone = ml.evaluate(y[rows][:, 2:], s[rows][:, 2:], label_names=NAMES[2:], zero_division=0)
    assert report.slice("Male=1, Young=1").summary == pytest.approx(alone.summary, abs=1e-12)


def test_group_by_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _arrays(tmp_path)
    npy = ["evaluate", "--labels", str(tmp_path / "y.npy"), "--scores", str(tmp_path / "s.npy")]
    assert main([*npy, "--group-by", "Male"]) == 1
    assert "--group-by names label columns: give --label-names" in capsys.readouterr().err
    assert main([*npy, "--label-names", ",".join(NAMES), "--group-by", "Male,Sex"]) == 1
    assert "--group-by names 'Sex', not a label" in capsys.readouterr().err
    for empty in ("", " , "):  # naming no column is not "no slicing"
        assert main([*npy, "--label-names", ",".join(NAMES), "--group-by", empty]) == 1
        assert f"--group-by must name columns; got {empty!r}" in capsys.readouterr().err
    assert main([*npy, "--min-slice-size", "3"]) == 1
    assert "--min-slice-size needs --group-by" in capsys.readouterr().err
    assert main([*npy, "--label-names", ",".join(NAMES), "--group-by", "Male, Young,Male"]) == 1
    assert "--group-by repeats 'Male'" in capsys.readouterr().err
    for bad in ("-1", "ten", "2.5"):
        with pytest.raises(SystemExit):
            main([*npy, "--group-by", "Male", "--min-slice-size", bad])
        assert (f"argument --min-slice-size: expected a number of rows (0 or more); got {bad!r}"
                in capsys.readouterr().err)  # fmt: skip
    assert main([*npy, "--label-names", ",".join(NAMES), "--group-by", "Male",
                 "--min-slice-size", "100000"]) == 1  # fmt: skip
    assert "larger than every slice" in capsys.readouterr().err


def test_group_by_parquet_columns(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    y, s = _arrays(tmp_path)
    site = np.where(np.arange(len(y)) % 3 == 0, "a", "b")
    columns = {name: y[:, j] for j, name in enumerate(NAMES)}
    columns |= {f"s_{name}": s[:, j] for j, name in enumerate(NAMES)}
    pq.write_table(pa.table({**columns, "site": site}), tmp_path / "t.parquet", row_group_size=64)
    out = tmp_path / "sliced.json"
    code = main(["evaluate", "--parquet", str(tmp_path / "t.parquet"), "--labels",
                 ",".join(NAMES), "--scores", ",".join(f"s_{n}" for n in NAMES),
                 "--group-by", "site,Male", "--format", "json", "-o", str(out)])  # fmt: skip
    assert code == 0
    report = ml.SlicedReport.from_dict(json.loads(out.read_text()))
    assert report.factors == ("site", "Male")
    rows = (site == "a") & (y[:, 0] == 0)
    alone = ml.evaluate(y[rows][:, 1:], s[rows][:, 1:], ranking=False, zero_division=0)
    assert report.slice("site=a, Male=0").summary == pytest.approx(alone.summary, abs=1e-12)
