"""The command line: help, exit codes, one-line errors, evaluate from files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.cli import main

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _data(tmp_path: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random((80, 3)) < 0.4).astype(np.int64)
    s = np.clip(0.5 * y + 0.6 * rng.random(y.shape), 0, 1)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s)
    return tmp_path / "y.npy", tmp_path / "s.npy", y, s


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert ml.__version__ in capsys.readouterr().out
    for command in ("synth", "convert", "verify", "stats", "evaluate", "tune", "train",
                    "predict", "reproduce"):  # fmt: skip
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert "example:" in capsys.readouterr().out


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evaluate", "--labels", "y.npy"])
    assert info.value.code == 2
    assert "--scores" in capsys.readouterr().err


def test_failure_is_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    y_path, _, y, _ = _data(tmp_path)
    np.save(tmp_path / "bad.npy", np.full(y.shape, 2.0))
    code = main(["evaluate", "--labels", str(y_path), "--scores", str(tmp_path / "bad.npy")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert "y_score" in err and "[0, 1]" in err
    assert "Traceback" not in err


def test_verbose_shows_the_exception(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not found"):
        main(["evaluate", "--verbose", "--labels", str(tmp_path / "no.npy"), "--scores", "x"])


def test_evaluate_json_equals_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    y_path, s_path, y, s = _data(tmp_path)
    out = tmp_path / "report.json"
    args = ["--format", "json", "--threshold", "0.4", "--label-names", "a,b,c", "-o", str(out)]
    code = main(["evaluate", "--labels", str(y_path), "--scores", str(s_path), *args])
    assert code == 0
    report = ml.Report.from_json(out)
    expected = ml.evaluate(y, s, threshold=0.4, label_names=["a", "b", "c"], zero_division=0)
    assert report.summary == expected.summary
    assert report.label_names == ("a", "b", "c")


def test_evaluate_csv_with_header_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, y, s = _data(tmp_path)
    header = "Smiling,Male,Bald"
    np.savetxt(tmp_path / "y.csv", y, delimiter=",", header=header, comments="", fmt="%d")
    np.savetxt(tmp_path / "s.csv", s, delimiter=",", header=header, comments="")
    code = main(["evaluate", "--labels", str(tmp_path / "y.csv"), "--scores",
                 str(tmp_path / "s.csv"), "--format", "markdown"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "| Smiling |" in out
    f1 = ml.f1_score(y, s, threshold=0.5, average="samples", zero_division=0)
    assert f"| F1 (samples) | {f1:.5f} |" in out


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "multilabel_attr", "--version"],
        capture_output=True, text=True, env={"PYTHONPATH": SRC}, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert ml.__version__ in result.stdout


def test_tune_writes_thresholds_that_evaluate_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from multilabel_attr.thresholds import Thresholds, optimize_thresholds

    y_path, s_path, y, s = _data(tmp_path)
    out = tmp_path / "t.json"
    common = ["--labels", str(y_path), "--scores", str(s_path), "--label-names", "a,b,c"]
    assert main(["tune", *common, "--min-positives", "1", "-o", str(out)]) == 0
    tuned = Thresholds.from_json(out)
    expected = optimize_thresholds(y, s, min_positives=1, label_names=["a", "b", "c"])
    np.testing.assert_array_equal(tuned.values, expected.values)
    report_path = tmp_path / "r.json"
    args = ["--thresholds", str(out), "--format", "json", "-o", str(report_path)]
    assert main(["evaluate", *common, *args]) == 0
    report = ml.Report.from_json(report_path)
    assert report.summary["f1_macro"] == pytest.approx(
        ml.f1_score(y, s, threshold=expected, average="macro", zero_division=0)
    )


def test_data_commands_synth_convert_verify_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("PIL")
    root = tmp_path / "synth"
    assert main(["synth", str(root), "-n", "40", "--seed", "1", "-q"]) == 0
    assert (root / "Anno" / "list_attr_celeba.txt").exists()
    figure = tmp_path / "prevalence.png"
    assert main(["stats", str(root), "--figure", str(figure)]) == 0
    assert "Smiling" in capsys.readouterr().out
    assert figure.stat().st_size > 1000
    pytest.importorskip("tensorflow")
    out = tmp_path / "records"
    assert main(["convert", str(root), str(out), "-q"]) == 0
    assert main(["verify", str(out), "-q"]) == 0
    assert "all shards valid" in capsys.readouterr().out
    shard = sorted(out.glob("*.tfrecord"))[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    assert main(["verify", str(out), "-q"]) == 1
    assert shard.name in capsys.readouterr().err


@pytest.mark.tf
def test_predict_attributes_of_image_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keras = pytest.importorskip("keras")
    from PIL import Image

    from multilabel_attr.datasets.celeba import ATTRIBUTES, make_synthetic
    from multilabel_attr.models import build_paper_cnn

    files = make_synthetic(tmp_path / "synth", 12, seed=3)
    assert files.images is not None
    images = sorted(files.images.iterdir())[:3]
    model = build_paper_cnn(input_shape=(48, 48, 3), seed=0)
    model_path = tmp_path / "model.keras"
    model.save(model_path)
    out = tmp_path / "pred.json"
    code = main(["predict", str(model_path), *map(str, images), "--threshold", "0.5",
                 "--format", "json", "-o", str(out), "-q"])  # fmt: skip
    assert code == 0
    results = json.loads(out.read_text())
    assert [r["image"] for r in results] == [str(p) for p in images]
    pixels = np.stack(
        [
            np.asarray(
                Image.open(p).convert("RGB").resize((48, 48), Image.Resampling.BILINEAR),
                np.float32,
            )
            for p in images
        ]
    )
    expected = keras.models.load_model(model_path).predict(pixels, verbose=0)
    for row, result in zip(expected, results, strict=True):
        assert list(result["scores"]) == list(ATTRIBUTES)
        np.testing.assert_allclose(list(result["scores"].values()), row, atol=1e-5)
        assert result["attributes"] == [a for a, s in zip(ATTRIBUTES, row) if s >= 0.5]
    assert main(["predict", str(tmp_path / "missing.keras"), str(images[0])]) == 1
    assert "model file not found" in capsys.readouterr().err


@pytest.mark.tf
@pytest.mark.slow
def test_train_writes_a_model_that_predict_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorflow")
    root, records = tmp_path / "synth", tmp_path / "records"
    assert main(["synth", str(root), "-n", "60", "-q"]) == 0
    assert main(["convert", str(root), str(records), "-q"]) == 0
    run = tmp_path / "run"
    args = ["--epochs", "1", "--image-size", "48", "--batch-size", "16", "--output", str(run)]
    assert main(["train", str(records), "--model", "cnn", "-q", *args]) == 0
    assert (run / "final.keras").is_file()
    assert "trained model" in capsys.readouterr().out
    image = sorted((root / "Img" / "img_align_celeba").iterdir())[0]
    assert main(["predict", str(run / "final.keras"), str(image), "-q"]) == 0
    assert image.name in capsys.readouterr().out
    fast = tmp_path / "fast"
    speed = ["--precision", "mixed_float16", "--jit-compile", "--strategy", "auto",
             "--cache-images", "on"]  # fmt: skip
    args[-1] = str(fast)
    assert main(["train", str(records), "--model", "cnn", "-q", *args, *speed]) == 0
    assert (fast / "final.keras").is_file()
    with pytest.raises(SystemExit) as info:
        main(["train", str(records), "-q", *args, "--precision", "float16"])
    assert info.value.code == 2
    assert "mixed_float16" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"hello\n", "is not a NumPy .npy file"),
        (b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.", "is not a NumPy .npy"),
        (None, "holds Python objects, not a numeric array"),
    ],
)
def test_npy_files_that_are_not_numeric_arrays_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, match: str
) -> None:
    bad = tmp_path / "scores.npy"
    if content is None:
        np.save(bad, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    else:
        bad.write_bytes(content)
    y_path = tmp_path / "y.npy"
    np.save(y_path, np.array([[1, 0], [0, 1]]))
    code = main(["evaluate", "--labels", str(y_path), "--scores", str(bad)])
    err = capsys.readouterr().err
    assert code == 1 and match in err and "pickled" not in err


@pytest.mark.parametrize("logits", [False, True])
def test_a_threshold_outside_the_probability_scale_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], logits: bool
) -> None:
    y_path, s_path, _, _ = _data(tmp_path)
    args = ["evaluate", "--labels", str(y_path), "--scores", str(s_path), "--threshold", "1.5"]
    code = main([*args, "--from-logits"] if logits else args)
    err = capsys.readouterr().err
    assert code == 1 and "threshold must lie in [0, 1]" in err and err.count("\n") == 1


def test_warnings_are_one_line_naming_the_command(tmp_path: Path) -> None:
    y_path, s_path, y, _ = _data(tmp_path)
    y[:, 1] = 0  # a label without positives: its ranking columns are undefined
    np.save(y_path, y)
    result = subprocess.run(
        [sys.executable, "-m", "multilabel_attr", "evaluate", "--labels", str(y_path),
         "--scores", str(s_path)],
        capture_output=True, text=True, env={"PYTHONPATH": SRC}, check=True,
    )  # fmt: skip
    lines = result.stderr.splitlines()
    assert lines, "the undefined AUROC of label 1 is announced"
    prefix = "multilabel-attr evaluate: UndefinedMetricWarning: "
    assert all(line.startswith(prefix) for line in lines)
    assert "label_1" in result.stderr
