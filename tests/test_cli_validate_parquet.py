"""The command line's only bootstrap (``validate``) reads arrays in memory: Parquet input and
slices are refused in one line, before any file is read."""

from __future__ import annotations

import pytest

from multilabel_attr.cli import main


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--parquet", "scores/"], "--parquet is not available here"),
        (["--group-by", "site"], "--group-by is not available here"),
        (["--parquet", "scores/", "--group-by", "site"], "--parquet and --group-by are not"),
    ],
)
def test_validate_refuses_parquet_and_slices_in_one_line(
    extra: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["validate", "--labels", "no-such-labels.npy", "--candidate", "no-such.npy",
            "--rules", "no-such-rules.json", *extra]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err
    assert "parquet.bootstrap_report(..., groups=...)" in err
    assert "not found" not in err  # refused before any file is read
