"""Evaluate multi-label scores in a few lines: the paper's five numbers and a per-label table.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import numpy as np

import multilabel_attr as ml


def main() -> None:
    rng = np.random.default_rng(0)
    n_samples, names = 2_000, ["Smiling", "Male", "Eyeglasses", "Bald", "Wearing_Hat"]
    prevalence = np.array([0.48, 0.42, 0.07, 0.02, 0.05])
    y_true = rng.random((n_samples, len(names))) < prevalence
    # Scores that carry signal: positives score higher on average.
    y_score = 1 / (1 + np.exp(-(2.5 * y_true - 1.5 + rng.normal(0, 1.2, y_true.shape))))

    report = ml.evaluate(y_true, y_score, threshold=0.5, label_names=names, zero_division=0)
    print(report.to_text())

    # The same numbers, streamed batch by batch and merged.
    state = ml.MultilabelCounts(len(names))
    for start in range(0, n_samples, 256):
        rows = slice(start, start + 256)
        state.update(y_true[rows], y_score[rows], threshold=0.5)
    streamed = state.f1_score(average="samples", zero_division=0)
    print(f"\nF1 (samples), streamed: {streamed:.5f}")
    assert abs(streamed - report.summary["f1_samples"]) < 1e-12


if __name__ == "__main__":
    main()
