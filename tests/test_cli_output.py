"""The command line's ``-o`` (what it writes to, what it refuses) and --parquet-only options."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.cli import main


def _inputs(tmp_path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    y = (rng.random((60, 3)) < 0.4).astype(np.int64)
    s = np.clip(0.5 * y + 0.6 * rng.random(y.shape), 0, 1)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s)
    args = ["--labels", str(tmp_path / "y.npy"), "--scores", str(tmp_path / "s.npy")]
    return args, y, s


def _evaluate_json(tmp_path: Path, output: Path | str) -> int:
    args, _, _ = _inputs(tmp_path)
    return main(["evaluate", *args, "--format", "json", "-o", str(output)])


def _expected_summary(tmp_path: Path) -> dict[str, float]:
    _, y, s = _inputs(tmp_path)
    return ml.evaluate(y, s, zero_division=0).summary


def test_output_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert _evaluate_json(tmp_path, link) == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert ml.Report.from_json(real).summary == pytest.approx(_expected_summary(tmp_path))


def test_output_keeps_an_existing_files_mode(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("old\n")
    out.chmod(0o640)
    assert _evaluate_json(tmp_path, out) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert ml.Report.from_json(out).summary == pytest.approx(_expected_summary(tmp_path))


def test_tune_output_keeps_mode_too(tmp_path: Path) -> None:
    args, _, _ = _inputs(tmp_path)
    out = tmp_path / "t.json"
    out.write_text("{}\n")
    out.chmod(0o600)
    assert main(["tune", *args, "--min-positives", "1", "-o", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_output_to_a_fifo_streams_into_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # An open read end lets the writer open the FIFO; the report fits in the pipe's buffer,
    # so it is read back once the command has returned.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert _evaluate_json(tmp_path, fifo) == 0
        received = b"".join(iter(lambda: os.read(reader, 1 << 16), b""))
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    report = ml.Report.from_dict(json.loads(received.decode()))
    assert report.summary == pytest.approx(_expected_summary(tmp_path))


def test_output_to_a_device_is_not_replaced(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root")
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    assert _evaluate_json(tmp_path, null) == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)


@pytest.mark.parametrize("command", ["evaluate", "tune"])
def test_empty_output_path_is_one_clear_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    args, _, _ = _inputs(tmp_path)
    with pytest.raises(SystemExit) as info:
        main([command, *args, "-o", ""])
    assert info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "argument -o/--output: expected the path of a file to write; got ''" in last


def test_output_to_a_folder_is_one_clear_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        _evaluate_json(tmp_path, tmp_path)
    assert info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert f"argument -o/--output: {str(tmp_path)!r} is an existing folder" in last
    assert tmp_path.is_dir()


@pytest.mark.parametrize(
    "extra", [["--weight", "w"], ["--engine", "local"], ["--engine", "dask", "--weight", "w"]]
)
@pytest.mark.parametrize("command", ["evaluate", "tune"])
def test_parquet_only_options_are_refused_without_parquet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, extra: list[str]
) -> None:
    args, _, _ = _inputs(tmp_path)
    out = tmp_path / "out.json"
    with pytest.raises(SystemExit) as info:
        main([command, *args, *extra, "-o", str(out)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"multilabel-attr {command}: error:" in err
    verb = "applies" if len(extra) == 2 else "apply"
    assert f"{verb} only to --parquet input" in err
    for flag in extra[::2]:
        assert flag in err.strip().splitlines()[-1]
    assert not out.exists()


def test_atomic_writers_refuse_a_folder_or_an_empty_path_before_writing(tmp_path: Path) -> None:
    from multilabel_attr._io import write_text_atomic

    with pytest.raises(IsADirectoryError, match="is a folder; expected the path of a file"):
        write_text_atomic(tmp_path, "x")
    with pytest.raises(ValueError, match="expected the path of a file to write; got"):
        write_text_atomic("", "x")
    assert list(tmp_path.iterdir()) == []
