"""Count-based and ranking metrics: multilabel_attr against scikit-learn on the same data.

For each size, one ``MultilabelCounts.from_batch(...)`` and its methods produce
the numbers a report needs (samples P/R/F1, Hamming score, Hamming loss,
subset accuracy, micro/macro/weighted P/R/F1, per-label P/R/F1, specificity,
balanced accuracy and MCC); scikit-learn produces the same numbers with the
calls a user would make.  Results are checked to agree (1e-9) before timing is
reported.  Peak extra memory of our side is measured with tracemalloc.

Run:  python benchmarks/bench_metrics.py            (10k, 200k, 1M x 40; 100k x 1000)
      python benchmarks/bench_metrics.py --quick    (small sizes, a few seconds)
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import multilabel_attr as ml

THRESHOLD = 0.5


def make_data(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Labels with per-label prevalence 2-60 % and float32 probabilities correlated with them."""
    rng = np.random.default_rng(seed)
    prevalence = rng.uniform(0.02, 0.6, k).astype(np.float32)
    y_true = (rng.random((n, k), dtype=np.float32) < prevalence).astype(np.uint8)
    noise = rng.random((n, k), dtype=np.float32)
    y_score = np.clip(0.35 * y_true + 0.65 * noise, 0.0, 1.0).astype(np.float32)
    return y_true, y_score


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_memory(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def ours_counts(y_true: np.ndarray, y_score: np.ndarray) -> dict[str, Any]:
    state = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=THRESHOLD)
    zd = 0
    out: dict[str, Any] = {
        "samples P": state.precision_score("samples", zd),
        "samples R": state.recall_score("samples", zd),
        "samples F1": state.f1_score("samples", zd),
        "Hamming score": state.hamming_score(zd),
        "Hamming loss": state.hamming_loss(),
        "subset accuracy": state.subset_accuracy(),
    }
    for average in ("micro", "macro", "weighted", None):
        out[f"{average} P"] = state.precision_score(average, zd)
        out[f"{average} R"] = state.recall_score(average, zd)
        out[f"{average} F1"] = state.f1_score(average, zd)
    out["per-label specificity"] = state.specificity_score(None, zd)
    out["per-label balanced accuracy"] = state.balanced_accuracy_score(None, zd)
    out["per-label MCC"] = state.matthews_corrcoef(None, 0)
    return out


def sklearn_counts(y_true: np.ndarray, y_score: np.ndarray, timings: dict[str, float]) -> Any:
    from sklearn import metrics as skm

    out: dict[str, Any] = {}

    def run(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = fn()
        timings[name] = time.perf_counter() - start
        return value

    y_pred = run("threshold", lambda: (y_score >= THRESHOLD).astype(np.uint8))
    zd = 0
    for average in ("samples", "micro", "macro", "weighted", None):
        p, r, f, _ = run(
            f"precision_recall_fscore_support({average})",
            lambda a=average: skm.precision_recall_fscore_support(
                y_true, y_pred, average=a, zero_division=zd
            ),
        )
        out[f"{average} P"], out[f"{average} R"], out[f"{average} F1"] = p, r, f
    out["Hamming score"] = run(
        "jaccard_score(samples)",
        lambda: skm.jaccard_score(y_true, y_pred, average="samples", zero_division=zd),
    )
    out["Hamming loss"] = run("hamming_loss", lambda: skm.hamming_loss(y_true, y_pred))
    out["subset accuracy"] = run("accuracy_score", lambda: skm.accuracy_score(y_true, y_pred))
    k = y_true.shape[1]
    out["per-label specificity"] = run(
        "recall_score(pos_label=0) per label",
        lambda: np.array(
            [
                skm.recall_score(y_true[:, j], y_pred[:, j], pos_label=0, zero_division=zd)
                for j in range(k)
            ]
        ),
    )
    out["per-label balanced accuracy"] = run(
        "balanced_accuracy_score per label",
        lambda: np.array(
            [skm.balanced_accuracy_score(y_true[:, j], y_pred[:, j]) for j in range(k)]
        ),
    )
    out["per-label MCC"] = run(
        "matthews_corrcoef per label",
        lambda: np.array([skm.matthews_corrcoef(y_true[:, j], y_pred[:, j]) for j in range(k)]),
    )
    return out


def check_agree(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    for key, value in ours.items():
        np.testing.assert_allclose(value, theirs[key], rtol=1e-9, atol=1e-12, err_msg=key)


# Seven of the numbers above, the scikit-learn calls most often quoted.
SEVEN = (
    "precision_recall_fscore_support(samples)",
    "jaccard_score(samples)",
    "hamming_loss",
    "accuracy_score",
    "precision_recall_fscore_support(micro)",
    "precision_recall_fscore_support(macro)",
    "precision_recall_fscore_support(weighted)",
)


def bench_counts(n: int, k: int, repeat: int) -> None:
    y_true, y_score = make_data(n, k)
    ours_time, ours = timed(lambda: ours_counts(y_true, y_score), repeat)
    peak = peak_memory(lambda: ours_counts(y_true, y_score))
    timings: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sklearn_counts(y_true, y_score, timings)
    check_agree(ours, theirs)
    evaluate_time, _ = timed(
        lambda: ml.evaluate(y_true, y_score, threshold=THRESHOLD, zero_division=0, ranking=False),
        repeat,
    )
    evaluate_peak = peak_memory(
        lambda: ml.evaluate(y_true, y_score, threshold=THRESHOLD, zero_division=0, ranking=False)
    )
    sk_total = sum(timings.values())
    sk_seven = timings["threshold"] + sum(timings[name] for name in SEVEN)
    print(
        f"{n:>9,} x {k:<5} ours {ours_time * 1e3:8.1f} ms | scikit-learn all {sk_total:7.2f} s "
        f"(x{sk_total / ours_time:7.0f}) | seven {sk_seven:7.2f} s (x{sk_seven / ours_time:6.0f})"
        f" | peak extra memory {peak / 2**20:6.1f} MiB = {peak / y_score.nbytes:.2f} x scores"
    )
    print(
        f"{'':>17} evaluate(ranking=False) {evaluate_time * 1e3:8.1f} ms "
        f"(x{sk_total / evaluate_time:7.0f} vs all) | peak extra memory "
        f"{evaluate_peak / 2**20:6.1f} MiB = {evaluate_peak / y_score.nbytes:.2f} x scores"
    )


def bench_ranking(n: int, k: int, repeat: int) -> None:
    from sklearn import metrics as skm

    y_true, y_score = make_data(n, k, seed=1)

    def ours() -> tuple[Any, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
            return (
                ml.roc_auc_score(y_true, y_score, average=None),
                ml.average_precision_score(y_true, y_score, average=None),
            )

    def theirs() -> tuple[Any, Any]:
        return (
            skm.roc_auc_score(y_true, y_score, average=None),
            skm.average_precision_score(y_true, y_score, average=None),
        )

    def in_report() -> Any:
        # evaluate() computes both columns in one pass over each label's sorted scores.
        return ml.evaluate(y_true, y_score, threshold=THRESHOLD, zero_division=0, ranking=True)

    ours_time, (auc, ap) = timed(ours, repeat)
    sk_time, (sk_auc, sk_ap) = timed(theirs, 1)
    np.testing.assert_allclose(auc, sk_auc, rtol=1e-9)
    np.testing.assert_allclose(ap, sk_ap, rtol=1e-9)
    peak = peak_memory(ours)
    print(
        f"{n:>9,} x {k:<5} per-label AUROC + AP, two public calls: ours {ours_time:6.3f} s | "
        f"scikit-learn {sk_time:6.3f} s | x{sk_time / ours_time:5.1f} | peak extra memory "
        f"{peak / 2**20:6.1f} MiB = {peak / y_score.nbytes:.2f} x scores"
    )
    no_rank, _ = timed(
        lambda: ml.evaluate(y_true, y_score, threshold=THRESHOLD, zero_division=0, ranking=False),
        repeat,
    )
    full, _ = timed(in_report, repeat)
    one_pass = full - no_rank
    print(
        f"{'':>17} both in one pass (evaluate ranking=True minus ranking=False): "
        f"{one_pass:6.3f} s | x{sk_time / one_pass:5.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    args = parser.parse_args()
    if args.quick:
        count_sizes = [(10_000, 40), (50_000, 40), (5_000, 300)]
        ranking_sizes = [(20_000, 40)]
    else:
        count_sizes = [(10_000, 40), (200_000, 40), (1_000_000, 40), (100_000, 1000)]
        ranking_sizes = [(200_000, 40)]
    print("Count-based metrics: one MultilabelCounts.from_batch + its methods vs scikit-learn")
    for n, k in count_sizes:
        bench_counts(n, k, repeat=3)
    print("Exact ranking metrics")
    for n, k in ranking_sizes:
        bench_ranking(n, k, repeat=3)


if __name__ == "__main__":
    main()
