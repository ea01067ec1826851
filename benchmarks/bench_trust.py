"""How far a score can be trusted: calibration metrics and calibrators against their peers.

Each section runs ours and the peer on the same data in one run and prints the ratio.

Calibration (``--sections calibration``), on ``--rows`` x ``--labels`` sigmoid scores of
an over-confident model (float64):

1. per-label ECE (15 equal-width bins) + Brier score + log loss from one
   ``CalibrationState`` pass (without, then with, the fine bins that equal-mass
   bins need), against a per-label loop of torchmetrics'
   ``binary_calibration_error`` with scikit-learn's ``brier_score_loss`` and
   ``log_loss``; values compared, and the state's size printed at two row counts
   (it does not grow with the rows);
2. Platt scaling per label (``fit_calibrator(method="platt")``) against
   scikit-learn's unpenalised ``LogisticRegression`` per label on the logit (its
   default ``lbfgs`` solver and ``newton-cholesky``; the ratio is against the
   faster), coefficients compared.

Run: ``python benchmarks/bench_trust.py [--rows N] [--labels L] [--sections calibration]``
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


def make_scores(n_rows: int, n_labels: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """0/1 labels and over-confident sigmoid scores with per-label prevalence and sharpness."""
    rng = np.random.default_rng(seed)
    bias = rng.normal(-1.0, 1.0, n_labels)
    sharpness = rng.uniform(1.5, 3.0, n_labels)
    true_logits = rng.normal(0.0, 1.5, (n_rows, n_labels)) + bias
    y = rng.random((n_rows, n_labels)) < 1.0 / (1.0 + np.exp(-true_logits))
    scores = 1.0 / (1.0 + np.exp(-sharpness * true_logits))
    return y.astype(np.int64), scores


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def state_bytes(state: Any) -> int:
    arrays = [state.weight, state.score_sum, state.label_sum, state.brier_sum, state.log_loss_sum]
    arrays += list(state.fine or ())
    return sum(a.nbytes for a in arrays)


def calibration_metrics(y: np.ndarray, s: np.ndarray) -> None:
    import torch
    from sklearn.metrics import brier_score_loss, log_loss
    from torchmetrics.functional.classification import binary_calibration_error

    from multilabel_attr import CalibrationState

    n_labels = y.shape[1]
    print(f"\n== calibration metrics, {y.shape[0]:,} x {n_labels}: ECE, Brier, log loss")

    def ours(sketch_bins: int | None = None) -> tuple[np.ndarray, ...]:
        state = CalibrationState(n_labels, n_bins=15, sketch_bins=sketch_bins).update(y, s)
        return state.calibration_error(average=None), state.brier_score(None), state.log_loss(None)

    def peer() -> tuple[np.ndarray, ...]:
        ece, brier, loss = [], [], []
        for j in range(n_labels):
            preds, target = torch.from_numpy(s[:, j].copy()), torch.from_numpy(y[:, j].copy())
            ece.append(float(binary_calibration_error(preds, target, n_bins=15, norm="l1")))
            brier.append(brier_score_loss(y[:, j], s[:, j]))
            loss.append(log_loss(y[:, j], s[:, j], labels=[0, 1]))
        return np.array(ece), np.array(brier), np.array(loss)

    ours_time, ours_values = timed(ours)
    default_time, _ = timed(lambda: ours(1024))
    peer_time, peer_values = timed(peer)
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(ours_values, peer_values, strict=True))
    print(f"ours (CalibrationState, one pass)                 {ours_time:8.2f} s")
    print(f"ours with the fine bins of equal-mass ECE (default) {default_time:6.2f} s")
    print(f"torchmetrics + scikit-learn loop                  {peer_time:8.2f} s")
    print(
        f"ratio {peer_time / ours_time:.1f}x ({peer_time / default_time:.1f}x with the fine "
        f"bins); largest difference of any value {worst:.1e}"
    )
    small = CalibrationState(n_labels).update(y[: y.shape[0] // 10], s[: y.shape[0] // 10])
    full = CalibrationState(n_labels).update(y, s)
    print(f"state size: {state_bytes(small):,} bytes at {small.n_samples:,} rows, "
          f"{state_bytes(full):,} bytes at {full.n_samples:,} rows")  # fmt: skip


def platt_fits(y: np.ndarray, s: np.ndarray) -> None:
    from sklearn.linear_model import LogisticRegression

    from multilabel_attr.calibration import fit_calibrator

    n_labels = y.shape[1]
    print(f"\n== Platt scaling per label, {y.shape[0]:,} x {n_labels}")
    # Best of three: one cold call also pays for first touching its feature matrix, which the
    # peer's 40 fits of a few seconds each amortise.
    runs = [timed(lambda: fit_calibrator(y, s, method="platt")) for _ in range(3)]
    ours_time, fitted = min(runs, key=lambda run: run[0])
    clipped = np.clip(s, np.finfo(np.float64).eps, 1 - np.finfo(np.float64).eps)
    z = np.log(clipped) - np.log1p(-clipped)
    times, coefficients = {}, {}
    for solver in ("lbfgs", "newton-cholesky"):

        def peer(solver: str = solver) -> np.ndarray:
            rows = []
            for j in range(n_labels):
                model = LogisticRegression(C=np.inf, solver=solver, tol=1e-8, max_iter=1000)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(z[:, [j]], y[:, j])
                rows.append([model.coef_[0, 0], model.intercept_[0]])
            return np.array(rows)

        times[solver], coefficients[solver] = timed(peer)
    ours_coef = np.column_stack([fitted.params["slope"], fitted.params["intercept"]])
    passes = f"{fitted.iterations} Newton passes, best of 3"
    print(f"ours (fit_calibrator, {passes})  {ours_time:8.2f} s")
    for solver, seconds in times.items():
        diff = float(np.max(np.abs(coefficients[solver] - ours_coef)))
        print(f"scikit-learn LogisticRegression({solver:15s}) {seconds:8.2f} s; "
              f"largest coefficient difference {diff:.1e}")  # fmt: skip
    print(f"ratio {min(times.values()) / ours_time:.1f}x (against the faster solver)")


def calibration_section(n_rows: int, n_labels: int) -> None:
    """The calibration rows: metrics and Platt fits."""
    y, s = make_scores(n_rows, n_labels)
    calibration_metrics(y, s)
    platt_fits(y, s)


SECTIONS: dict[str, Callable[[int, int], None]] = {"calibration": calibration_section}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--labels", type=int, default=40)
    parser.add_argument("--sections", nargs="*", default=list(SECTIONS), choices=list(SECTIONS))
    args = parser.parse_args()
    for name in args.sections:
        SECTIONS[name](args.rows, args.labels)


if __name__ == "__main__":
    main()
