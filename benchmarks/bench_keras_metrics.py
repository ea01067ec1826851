"""Cost of ``update_state`` for the multi-label Keras metrics against ``keras.metrics.F1Score``.

Batches of 128 samples x 40 labels (CelebA's label count), float32 probabilities,
run eagerly and inside ``tf.function``.  Each line times the peer and ours on the
same batches in the same run and prints the ratio (ours / Keras; lower is better).

Run: ``python benchmarks/bench_keras_metrics.py [--batches 200] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

from multilabel_attr import keras as mk

BATCH, LABELS = 128, 40
AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", "samples", None)


def ours_single() -> list[Any]:
    return [mk.F1Score(LABELS, average="micro")]


def keras_single() -> list[Any]:
    return [keras.metrics.F1Score(average="micro", threshold=0.5)]


def ours_all_averages() -> list[Any]:
    return [mk.F1Score(LABELS, average=average) for average in AVERAGES]


def keras_all_averages() -> list[Any]:
    # Keras has no "samples" average; its four averages are the closest peer set.
    return [
        keras.metrics.F1Score(average=average, threshold=0.5)
        for average in ("micro", "macro", "weighted", None)
    ]


def ours_every_class() -> list[Any]:
    metrics: list[Any] = [
        cls(LABELS, average=average)
        for cls in (mk.Precision, mk.Recall, mk.F1Score, mk.JaccardScore)
        for average in AVERAGES
    ]
    metrics += [cls(LABELS, average="macro") for cls in (mk.Specificity, mk.BalancedAccuracy)]
    metrics += [
        cls(LABELS)
        for cls in (mk.HammingLoss, mk.LabelAccuracy, mk.HammingScore, mk.SubsetAccuracy)
    ]
    return metrics


def time_updates(
    make: Callable[[], list[Any]], batches: list[tuple[Any, Any]], compiled: bool, repeats: int
) -> float:
    """Median seconds per batch of one pass of ``update_state`` over ``batches``."""
    metrics = make()

    def step(y_true: Any, y_pred: Any) -> None:
        for metric in metrics:
            metric.update_state(y_true, y_pred)

    run = tf.function(step) if compiled else step
    run(*batches[0])  # trace / warm up
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for y_true, y_pred in batches:
            run(y_true, y_pred)
        timings.append((time.perf_counter() - start) / len(batches))
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="batches per timed pass")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (median reported)")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    batches = [
        (
            tf.constant((rng.random((BATCH, LABELS)) < 0.3).astype(np.float32)),
            tf.constant(rng.random((BATCH, LABELS)).astype(np.float32)),
        )
        for _ in range(args.batches)
    ]
    print(f"update_state on {BATCH} x {LABELS} float32 batches; median of {args.repeats} passes")
    print(f"keras {keras.__version__}, tensorflow {tf.__version__}")
    print(f"{'case':<52}{'keras us':>10}{'ours us':>10}{'ratio':>8}")
    cases = [
        ("F1 micro", keras_single, ours_single),
        ("F1 all averages (keras: 4, ours: 5)", keras_all_averages, ours_all_averages),
    ]
    for compiled in (False, True):
        mode = "tf.function" if compiled else "eager"
        for label, peer, ours in cases:
            peer_time = time_updates(peer, batches, compiled, args.repeats)
            our_time = time_updates(ours, batches, compiled, args.repeats)
            print(
                f"{label + ' [' + mode + ']':<52}{peer_time * 1e6:>10.1f}{our_time * 1e6:>10.1f}"
                f"{our_time / peer_time:>8.2f}"
            )
        every = time_updates(ours_every_class, batches, compiled, args.repeats)
        print(f"{'ours: all 26 metric objects [' + mode + ']':<52}{'':>10}{every * 1e6:>10.1f}")


if __name__ == "__main__":
    main()
