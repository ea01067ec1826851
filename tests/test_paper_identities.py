"""The reproduction's intervals resample identities when the test images have them."""

from __future__ import annotations

import numpy as np

import multilabel_attr as ml
from multilabel_attr.paper._compute import ROW_KEYS, ModelRun, corrected_tables
from multilabel_attr.paper._protocols import PROTOCOLS
from multilabel_attr.paper._report import corrected_markdown


def _run(name: str, y: np.ndarray, scores: np.ndarray) -> ModelRun:
    thresholds = np.full(y.shape[1], 0.5)
    return ModelRun(name, y, scores, y, scores, thresholds, thresholds, {})


def test_corrected_tables_resample_identities() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((240, 3)) < 0.4).astype(np.float32)
    cnn = np.clip(0.4 * y + 0.6 * rng.random(y.shape), 0, 1).astype(np.float32)
    transfer = np.clip(0.2 * y + 0.8 * rng.random(y.shape), 0, 1).astype(np.float32)
    runs = {"CNN": _run("CNN", y, cnn), "Transfer model": _run("Transfer model", y, transfer)}
    identities = np.repeat(np.arange(1, 49), 5)
    protocol = PROTOCOLS["quick"]
    names = ("a", "b", "c")
    tables = corrected_tables(runs, y, protocol, 0, names, identities)
    expected = ml.bootstrap_report(
        y, cnn, threshold=np.full(3, 0.5), n_resamples=protocol.bootstrap_resamples, seed=0,
        label_names=names, cluster=identities,
    )  # fmt: skip
    for row, key in ROW_KEYS.items():
        assert tables.intervals["CNN"][row] == expected.intervals[key]
    assert tables.n_identities == 48 and tables.numbers()["bootstrap_unit"] == "identity"
    assert "of the 48 identities" in corrected_markdown(tables, protocol)
    by_image = corrected_tables(runs, y, protocol, 0, names)
    assert by_image.numbers()["bootstrap_unit"] == "image"
    assert by_image.intervals["CNN"] != tables.intervals["CNN"]
