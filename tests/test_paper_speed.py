"""The reproduction with the speed options: same steps and tables, options recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tensorflow")

from multilabel_attr.paper import reproduce

pytestmark = pytest.mark.tf


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("precision", "fp16", "reproduce: precision must be None or one of"),
        ("jit_compile", "xla", "reproduce: jit_compile must be True, False or 'auto'"),
        ("strategy", "tpu", "reproduce: strategy must be None, one of"),
        ("cache_images", "always", "cache: expected True, False or 'auto'"),
    ],
)
def test_bad_speed_options_fail_before_any_work(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=message):
        reproduce(out, protocol="smoke", cache_dir=tmp_path / "cache", **{option: value})
    assert not out.exists() and not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_smoke_reproduction_in_mixed_precision_with_cached_images(tmp_path: Path) -> None:
    result = reproduce(
        tmp_path / "out", protocol="smoke", cache_dir=tmp_path / "cache", transfer_weights=None,
        verbose=0, log=lambda line: None, precision="mixed_float16", strategy="default",
        cache_images=True,
    )  # fmt: skip
    assert result.summary["speed"] == {
        "precision": "mixed_float16",
        "jit_compile": False,
        "strategy": "_DefaultDistributionStrategy",
        "replicas": 1,
        "cache_images": True,
    }
    assert "### 3. Corrected table" in result.markdown
    assert (tmp_path / "out" / "report.json").is_file()
    assert (tmp_path / "out" / "models" / "cnn" / "final.keras").is_file()
