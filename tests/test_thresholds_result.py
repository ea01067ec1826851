"""The Thresholds value: application, array protocol, JSON round trip, display."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from multilabel_attr import MultilabelCounts, f1_score
from multilabel_attr.thresholds import Thresholds, ThresholdWarning, optimize_thresholds


def tuned() -> tuple[Thresholds, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = (rng.random((200, 3)) < [0.2, 0.4, 0.02]).astype(int)
    s = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1, y.shape))))
    with pytest.warns(ThresholdWarning):
        t = optimize_thresholds(y, s, label_names=["Smiling", "Young", "Bald"])
    return t, y, s


def test_apply_and_array_protocol() -> None:
    t, y, s = tuned()
    pred = t.apply(s)
    assert pred.dtype == np.uint8
    assert np.array_equal(pred, (s >= t.values).astype(np.uint8))
    assert np.asarray(t).tolist() == t.values.tolist()
    # Core metrics take a Thresholds wherever they take a threshold, streaming too.
    expected = f1_score(y, pred, average=None)
    assert np.array_equal(f1_score(y, s, threshold=t, average=None), expected)
    counts = MultilabelCounts(3)
    counts.update(y[:50], s[:50], threshold=t)
    counts.update(y[50:], s[50:], threshold=t)
    assert np.allclose(counts.f1_score(average=None), expected)
    assert t["Bald"] == t.values[2]
    assert t[0] == t.values[0]
    with pytest.raises(KeyError, match="Mustache"):
        t["Mustache"]
    with pytest.raises(ValueError, match="one column per label"):
        t.apply(s[:, :2])
    with pytest.raises(ValueError, match="finite"):
        t.apply(np.full((2, 3), np.nan))


def test_values_are_read_only_and_validated() -> None:
    t = Thresholds([0.2, 0.8])
    with pytest.raises(ValueError, match="read-only"):
        t.values[0] = 1.0
    with pytest.raises(ValueError, match="finite"):
        Thresholds([0.5, np.inf])
    with pytest.raises(ValueError, match="at least one"):
        Thresholds([])
    with pytest.raises(ValueError, match="one name per label"):
        Thresholds([0.5], label_names=["a", "b"])


def test_json_round_trip(tmp_path: Path) -> None:
    t, _, _ = tuned()
    path = tmp_path / "thresholds.json"
    t.to_json(path)
    assert [p.name for p in tmp_path.iterdir()] == ["thresholds.json"]
    loaded = Thresholds.from_json(path)
    assert loaded == t
    assert loaded.values.tolist() == t.values.tolist()  # exact floats
    assert loaded.fallback_labels == t.fallback_labels == (2,)
    data = json.loads(path.read_text())
    assert data["schema"] == "multilabel_attr.thresholds"
    assert data["version"] == 1
    assert Thresholds.from_json(path, label_names=["Smiling", "Young", "Bald"]) == t


def test_json_label_mismatch_and_bad_documents(tmp_path: Path) -> None:
    t, _, _ = tuned()
    path = tmp_path / "t.json"
    t.to_json(path)
    with pytest.raises(ValueError, match="only in the file: Bald"):
        Thresholds.from_json(path, label_names=["Smiling", "Young", "Mustache"])
    with pytest.raises(ValueError, match="different order"):
        Thresholds.from_json(path, label_names=["Young", "Smiling", "Bald"])
    data = json.loads(path.read_text())
    data["version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="version 99"):
        Thresholds.from_json(path)
    path.write_text("{}")
    with pytest.raises(ValueError, match="not a thresholds document"):
        Thresholds.from_json(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        Thresholds.from_json(path)


def test_failed_write_leaves_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    t, _, _ = tuned()
    path = tmp_path / "t.json"
    t.to_json(path)
    before = path.read_text()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        Thresholds([0.1, 0.2, 0.3]).to_json(path)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.json"]


def test_logit_scale_round_trip(tmp_path: Path) -> None:
    t = Thresholds([0.0, 2.0], from_logits=True, metric="f1", strategy="per_label")
    assert np.allclose(np.asarray(t), [0.5, 1 / (1 + np.exp(-2.0))])
    t.to_json(tmp_path / "t.json")
    loaded = Thresholds.from_json(tmp_path / "t.json")
    assert loaded.from_logits
    assert loaded == t
    assert "scale=logit" in repr(loaded)


def test_repr_is_readable() -> None:
    t, _, _ = tuned()
    text = repr(t)
    assert text.startswith("Thresholds(3 labels, metric='f1', strategy='per_label'")
    assert "Smiling=" in text
    assert "fallback_labels=1" in text
    many = Thresholds(np.linspace(0.1, 0.9, 40))
    assert "..." in repr(many)
    assert len(repr(many)) < 200
