"""Release gates: decisions on interval bounds, checked against resampling by hand with
scikit-learn's metrics, and the ``validate`` command's exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from multilabel_attr import GateRule, bootstrap_report, validate
from multilabel_attr.cli import main

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def _by_hand(
    truth: np.ndarray, scores: list[np.ndarray], metric: Any, n_resamples: int, seed: int
) -> list[np.ndarray]:
    """Each model's metric on the same resamples, drawn as the gates draw them (one block of
    row indices per resample)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, truth.shape[0], size=(n_resamples, truth.shape[0]))
    return [np.array([metric(truth[rows], s[rows]) for rows in draws]) for s in scores]


def _data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.random((n, 3)) < [0.3, 0.5, 0.2]
    noise = rng.random((n, 3))
    candidate = np.clip(0.42 * truth + 0.58 * noise, 0, 1)
    baseline = np.clip(0.40 * truth + 0.60 * noise + 0.05 * rng.standard_normal((n, 3)), 0, 1)
    return truth.astype(int), candidate, baseline


def _f1_macro(y: np.ndarray, s: np.ndarray) -> float:
    return float(sklearn_metrics.f1_score(y, s >= 0.5, average="macro", zero_division=0))


def test_point_estimate_passes_but_lower_bound_fails() -> None:
    truth, candidate, _ = _data(60, 0)
    point = _f1_macro(truth, candidate)
    (draws,) = _by_hand(truth, [candidate], _f1_macro, 300, seed=7)
    low = float(np.percentile(draws, 2.5))
    limit = (low + point) / 2  # below the point estimate, above the interval's lower bound
    result = validate(truth, candidate, None, [f"f1_macro >= {limit!r}"], n_resamples=300, seed=7)
    (gate,) = result.results
    assert gate.candidate == pytest.approx(point, abs=1e-12)
    assert gate.bound == pytest.approx(low, abs=1e-12)
    assert gate.status == "failed" and not result.ok
    # The same rule with the limit under the bound passes.
    lower = validate(
        truth, candidate, None, [f"f1_macro >= {low - 1e-6!r}"], n_resamples=300, seed=7
    )
    assert lower.ok and lower.passed[0].bound == pytest.approx(low, abs=1e-12)


def test_relative_rule_uses_the_paired_difference() -> None:
    truth, candidate, baseline = _data(80, 1)

    def f1_label(y: np.ndarray, s: np.ndarray) -> float:
        return float(sklearn_metrics.f1_score(y[:, 1], s[:, 1] >= 0.5, zero_division=0))

    ours, theirs = _by_hand(truth, [candidate, baseline], f1_label, 400, seed=3)
    difference = ours - theirs
    low, high = np.percentile(difference, [2.5, 97.5])
    result = validate(
        truth, candidate, baseline,
        ["f1:label_1 >= baseline - 0.02", "f1:label_1 <= baseline + 0.5"],
        n_resamples=400, seed=3,
    )  # fmt: skip
    first, second = result.results
    assert first.bound == pytest.approx(low, abs=1e-12)
    assert second.bound == pytest.approx(high, abs=1e-12)
    assert first.interval == pytest.approx((low, high), abs=1e-12)
    assert first.status == ("passed" if low >= -0.02 else "failed")
    assert second.status == ("passed" if high <= 0.5 else "failed")
    # Unpaired intervals would be wider: the gate's bound is the paired one.
    unpaired_low = np.percentile(ours, 2.5) - np.percentile(theirs, 97.5)
    assert first.bound > unpaired_low


def test_candidate_better_on_the_data_but_not_surely_better_fails_a_no_worse_gate() -> None:
    truth, candidate, baseline = _data(50, 2)
    result = validate(truth, candidate, baseline, ["f1_micro >= baseline"], n_resamples=300)
    (gate,) = result.results
    assert gate.candidate is not None and gate.baseline is not None
    assert gate.candidate >= gate.baseline  # the point estimate passes
    assert gate.bound is not None and gate.bound < 0 and gate.status == "failed"


def test_auroc_rules_resample_the_exact_auroc() -> None:
    truth, candidate, baseline = _data(70, 4)

    def auroc_label(y: np.ndarray, s: np.ndarray) -> float:
        return float(sklearn_metrics.roc_auc_score(y[:, 0], s[:, 0]))

    ours, theirs = _by_hand(truth, [candidate, baseline], auroc_label, 200, seed=5)
    result = validate(
        truth, candidate, baseline, ["auroc:label_0 >= baseline - 0.05", "auroc:label_0 >= 0.6"],
        n_resamples=200, seed=5,
    )  # fmt: skip
    relative, absolute = result.results
    assert relative.bound == pytest.approx(np.percentile(ours - theirs, 2.5), abs=1e-12)
    assert absolute.bound == pytest.approx(np.percentile(ours, 2.5), abs=1e-12)
    assert absolute.candidate == pytest.approx(auroc_label(truth, candidate), abs=1e-12)


def test_every_label_and_missing_rules() -> None:
    truth, candidate, _ = _data(120, 5)
    truth[:, 2] = 0  # no positives: AUROC undefined for this label
    rules = [
        "recall:* >= 0.0",
        "nonsense >= 0.5",
        "f1:nose >= 0.5",
        "f1_macro:label_0 >= 0.5",
        "f1 >= 0.5",
        {"rule": "f1:label_0 >= 0.1", "slice": "Male=1"},
        "auroc:label_2 >= 0.5",
    ]
    result = validate(truth, candidate, None, [*rules, "mcc:* >= baseline"], n_resamples=50)
    assert [r.label for r in result.passed] == ["label_0", "label_1", "label_2"]
    reasons = [r.reason for r in result.missing]
    assert reasons == [
        "unknown metric 'nonsense'",
        "unknown label 'nose'",
        "f1_macro is a summary metric, without labels",
        "f1 is per label: name one (f1:<label>) or all (f1:*)",
        "no slice 'Male=1' in this evaluation",
        "undefined here",
        "no baseline given",
    ]
    assert result.ok and not result.failed
    data = json.loads(result.to_json())
    assert data["counts"] == {"passed": 3, "failed": 0, "missing": 7}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("f1_macro >= 0.8", GateRule("f1_macro", ">=", 0.8)),
        ("auroc:* >= baseline - 0.01", GateRule("auroc", ">=", -0.01, "*", True)),
        ("hamming_loss<=baseline+0.005", GateRule("hamming_loss", "<=", 0.005, None, True)),
        ("f1:Eyeglasses >= baseline", GateRule("f1", ">=", 0.0, "Eyeglasses", True)),
    ],
)
def test_rules_read_from_text_and_back(text: str, expected: GateRule) -> None:
    rule = GateRule.parse(text)
    assert rule == expected
    assert GateRule.parse(rule.text) == rule
    assert GateRule.parse(json.loads(json.dumps(rule.to_dict()))) == rule


@pytest.mark.parametrize(
    "rule",
    ["f1_macro > 0.8", "f1_macro >= high", "f1_macro >= baseline * 2", {"metric": "f1"},
     {"metric": "f1", "op": "==", "value": 1}, {"metric": "f1", "op": ">=", "value": "0.5"},
     "f1 >= nan", 3],
)  # fmt: skip
def test_malformed_rules_are_refused_before_the_data(rule: Any) -> None:
    with pytest.raises((ValueError, TypeError), match="rule"):
        validate("not", "data", None, [rule])


# -- the command -------------------------------------------------------------------------------


@pytest.fixture
def arrays(tmp_path: Path) -> dict[str, str]:
    truth, candidate, baseline = _data(200, 6)
    files = {}
    for name, array in (("labels", truth), ("candidate", candidate), ("baseline", baseline)):
        files[name] = str(tmp_path / f"{name}.npy")
        np.save(files[name], array)
    return files


def _run(arrays: dict[str, str], tmp_path: Path, rules: Any, *extra: str) -> int:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    return main(
        ["validate", "--labels", arrays["labels"], "--candidate", arrays["candidate"],
         "--baseline", arrays["baseline"], "--rules", str(path), "--n-resamples", "100", *extra]
    )  # fmt: skip


def test_command_exit_codes(
    arrays: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(arrays, tmp_path, ["f1_macro >= 0.1", "auroc:* >= 0.5"]) == 0
    assert "PASS" in capsys.readouterr().out
    assert _run(arrays, tmp_path, ["f1_macro >= 0.1", "f1_macro >= 0.99"]) == 3
    assert "FAIL" in capsys.readouterr().out
    # A missing rule is listed; it fails the gate only with --strict.
    assert _run(arrays, tmp_path, {"rules": ["f1:nose >= 0.5"]}) == 0
    assert _run(arrays, tmp_path, ["f1:nose >= 0.5"], "--strict") == 3
    capsys.readouterr()
    assert _run(arrays, tmp_path, ["f1_macro >> 0.1"]) == 1
    assert "rules must be written" in capsys.readouterr().err


def test_command_writes_json(arrays: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "gate.json"
    code = _run(arrays, tmp_path, ["f1:* >= baseline - 0.5"], "--format", "json", "-o", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert code == 0 and data["ok"] and data["counts"]["passed"] == 3


def test_cluster_gates_decide_on_the_cluster_bootstrap_intervals() -> None:
    """With ``cluster`` the bound that decides a rule is the cluster bootstrap's interval bound
    (the same draws as ``bootstrap_report(..., cluster=...)``); on data whose rows come in
    copies, resampling the copies together widens it."""
    truth, candidate, _ = _data(300, 5)
    truth, candidate = np.repeat(truth, 3, axis=0), np.repeat(candidate, 3, axis=0)
    person = np.repeat(np.arange(300), 3)
    common = {"n_resamples": 300, "seed": 4}
    gate = validate(truth, candidate, None, ["f1_macro >= 0.1"], cluster=person, **common)
    report = bootstrap_report(truth, candidate, cluster=person, ranking=False, **common)
    (result,) = gate.results
    assert result.bound == pytest.approx(report.intervals["f1_macro"][0], abs=1e-12)
    rows = validate(truth, candidate, None, ["f1_macro >= 0.1"], **common).results[0]
    assert result.candidate == rows.candidate
    assert report.summary["f1_macro"] - result.bound > 1.3 * (rows.candidate - rows.bound)


def test_command_takes_cluster_ids(
    arrays: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    n = np.load(arrays["labels"]).shape[0]
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(f"person{i // 4}" for i in range(n)), encoding="utf-8")
    out = tmp_path / "gate.json"
    code = _run(arrays, tmp_path, ["f1_macro >= 0.1"], "--cluster", str(ids), "--format",
                "json", "-o", str(out))  # fmt: skip
    assert code == 0 and json.loads(out.read_text(encoding="utf-8"))["ok"]
    np.save(tmp_path / "short.npy", np.arange(n - 1))
    capsys.readouterr()
    short = str(tmp_path / "short.npy")
    assert _run(arrays, tmp_path, ["f1_macro >= 0.1"], "--cluster", short) == 1
    assert "cluster must be 1-D with one group id per sample" in capsys.readouterr().err
