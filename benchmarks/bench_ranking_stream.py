"""Streaming ranking metrics: ScoreSketch against the exact one-shot functions and Keras AUC.

On 1M x 40 sigmoid scores of a realistic model (logits normal, shifted by the
label, with a per-label prevalence), in one run:

1. accuracy, on these scores and on a skewed distribution (logits
   ``scale_j * (z +/- 1)`` with ``scale_j`` log-uniform in ``[0.1, 30]``: some labels
   barely leave 0.5, others saturate at 0 and 1): the sketch's bound holds on every
   label (AUROC and average precision), and at the state size of
   ``keras.metrics.AUC(num_thresholds=200, multi_label=True)`` (4 x 200 floats per
   label; the sketch keeps 4 floats per bin, so 200 bins) the sketch's worst-label
   error is compared with Keras's (ROC and PR curves) against the exact one-shot
   values;
2. per-batch cost: one 128 x 40 batch through ``ScoreSketch.update``,
   ``multilabel_attr.keras.AUROC.update_state`` and
   ``keras.metrics.AUC.update_state`` (eager);
3. throughput: the sketch's update over the whole 1M x 40 against the exact
   one-shot AUROC + average precision.

Run: ``KERAS_BACKEND=tensorflow python benchmarks/bench_ranking_stream.py [--rows N]``
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def make_scores(n_rows: int, n_labels: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prevalence = rng.uniform(0.02, 0.5, n_labels)
    y = rng.random((n_rows, n_labels)) < prevalence
    bias = np.log(prevalence / (1 - prevalence))
    logits = rng.normal(0.0, 1.0, (n_rows, n_labels)) + np.where(y, 1.5, -1.5) + bias
    return y, (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


def make_skewed_scores(n_rows: int, n_labels: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prevalence = rng.uniform(0.02, 0.5, n_labels)
    y = rng.random((n_rows, n_labels)) < prevalence
    scale = np.exp(rng.uniform(np.log(0.1), np.log(30.0), n_labels))
    logits = scale * (rng.normal(0.0, 1.0, (n_rows, n_labels)) + np.where(y, 1.0, -1.0))
    return y, (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)


def best_of(repeats: int, run) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def keras_auc(y: np.ndarray, s: np.ndarray, curve: str, batch: int) -> np.ndarray:
    import keras

    metric = keras.metrics.AUC(num_thresholds=200, multi_label=True, curve=curve, num_labels=None)
    per_label = []
    for label in range(y.shape[1]):  # one label at a time keeps Keras's per-label value
        metric.reset_state()
        for start in range(0, y.shape[0], batch):
            rows = slice(start, start + batch)
            metric.update_state(y[rows, label : label + 1], s[rows, label : label + 1])
        per_label.append(float(metric.result()))
    return np.asarray(per_label)


def accuracy(
    name: str, y: np.ndarray, s: np.ndarray, exact_auc: np.ndarray, exact_ap: np.ndarray
) -> None:
    from multilabel_attr import ScoreSketch

    print(f"\n== accuracy, {name} scores (worst label, against the exact one-shot values)")
    for n_bins in (200, 1024):
        sketch = ScoreSketch(y.shape[1], n_bins=n_bins).update(y, s)
        auc, ap = sketch.roc_auc(None), sketch.average_precision(None)
        auc_err, ap_err = np.abs(auc.value - exact_auc), np.abs(ap.value - exact_ap)
        holds = bool(np.all(auc_err <= auc.bound) and np.all(ap_err <= ap.bound))
        print(
            f"sketch n_bins={n_bins:5d}: AUROC max error {auc_err.max():.2e} (max bound "
            f"{auc.bound.max():.2e}), AP max error {ap_err.max():.2e} (max bound "
            f"{ap.bound.max():.2e}); bound holds on every label: {holds}"
        )
        if n_bins == 200:
            sketch_auc_err, sketch_ap_err = auc_err.max(), ap_err.max()
    batch = 1 << 14
    keras_roc = np.abs(keras_auc(y, s, "ROC", batch) - exact_auc).max()
    keras_pr = np.abs(keras_auc(y, s, "PR", batch) - exact_ap).max()
    print(f"keras.metrics.AUC(200, ROC): AUROC max error {keras_roc:.2e}")
    print(f"keras.metrics.AUC(200, PR):  AP max error {keras_pr:.2e}")
    print(
        f"at equal state (800 floats per label): Keras error / sketch error = "
        f"{keras_roc / sketch_auc_err:.1f}x (AUROC), {keras_pr / sketch_ap_err:.1f}x (AP)"
    )


def per_batch_cost(y: np.ndarray, s: np.ndarray) -> None:
    import keras

    from multilabel_attr import ScoreSketch
    from multilabel_attr import keras as mk

    print(f"\n== per-batch update, 128 x {y.shape[1]} (eager, backend {keras.backend.backend()})")
    n_batches = 200
    batches = [(y[i * 128 : (i + 1) * 128], s[i * 128 : (i + 1) * 128]) for i in range(n_batches)]
    keras_batches = [(t.astype(np.float32), p) for t, p in batches]
    sketch = ScoreSketch(y.shape[1], n_bins=200)
    ours = mk.AUROC(y.shape[1], n_bins=400)
    peer = keras.metrics.AUC(num_thresholds=200, multi_label=True)
    for metric in (ours, peer):  # warm-up: first calls build kernels
        metric.update_state(*keras_batches[0])

    def run_sketch() -> None:
        for t, p in batches:
            sketch.update(t, p)

    def run_keras(metric):
        def run() -> None:
            for t, p in keras_batches:
                metric.update_state(t, p)

        return run

    t_sketch = best_of(3, run_sketch) / n_batches
    t_ours = best_of(3, run_keras(ours)) / n_batches
    t_peer = best_of(3, run_keras(peer)) / n_batches
    print(f"ScoreSketch.update (200 bins):            {t_sketch * 1e6:8.0f} us")
    print(f"multilabel_attr.keras.AUROC (400 bins):   {t_ours * 1e6:8.0f} us")
    print(f"keras.metrics.AUC(200, multi_label):      {t_peer * 1e6:8.0f} us")
    print(
        f"ratio to keras.metrics.AUC: sketch {t_sketch / t_peer:.3f}x, "
        f"keras AUROC {t_ours / t_peer:.3f}x (target <= 1.5x)"
    )


def throughput(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from multilabel_attr import ScoreSketch, average_precision_score, roc_auc_score

    print(f"\n== whole data set, {y.shape[0]:,} x {y.shape[1]}")
    results = {}

    def exact() -> None:
        results["auc"] = roc_auc_score(y, s, average=None)
        results["ap"] = average_precision_score(y, s, average=None)

    t_exact = best_of(2, exact)
    exact_mode = ScoreSketch(y.shape[1], n_bins=16, exact=True)
    for i in range(0, y.shape[0], 250_000):
        exact_mode.update(y[i : i + 250_000], s[i : i + 250_000])
    assert np.array_equal(exact_mode.roc_auc(None).value, results["auc"])
    assert np.array_equal(exact_mode.average_precision(None).value, results["ap"])
    print("check: the exact-mode sketch, streamed in 4 chunks, equals the one-shot values")
    t_sketch = best_of(2, lambda: ScoreSketch(y.shape[1]).update(y, s))
    t_stream = best_of(
        1,
        lambda: [ScoreSketch(y.shape[1]).update(y[i : i + 65536], s[i : i + 65536])
                 for i in range(0, y.shape[0], 65536)],
    )  # fmt: skip
    print(f"exact one-shot AUROC + AP:             {t_exact:6.2f} s")
    print(f"ScoreSketch.update, one call:          {t_sketch:6.2f} s  ({t_sketch / t_exact:.2f}x)")
    print(f"ScoreSketch.update, 65,536-row chunks: {t_stream:6.2f} s  ({t_stream / t_exact:.2f}x)")
    print("target: within 3x of the exact one-shot computation")
    return results["auc"], results["ap"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--labels", type=int, default=40)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    y, s = make_scores(args.rows, args.labels)
    exact_auc, exact_ap = throughput(y, s)
    per_batch_cost(y, s)
    accuracy("realistic", y, s, exact_auc, exact_ap)
    from multilabel_attr import average_precision_score, roc_auc_score

    y, s = make_skewed_scores(args.rows, args.labels)
    exact_auc = roc_auc_score(y, s, average=None)
    exact_ap = average_precision_score(y, s, average=None)
    accuracy("skewed", y, s, exact_auc, exact_ap)


if __name__ == "__main__":
    main()
