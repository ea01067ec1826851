"""Threshold search: the paper's grid against the exact search, speed and generalisation.

Three measurements, each on the same data for both sides, in one run:

1. The grid approach of the paper (100 evenly spaced thresholds in [0, 1] per
   label, each scored with scikit-learn's ``f1_score``) against
   [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] at 5,000 x 40:
   speed ratio and the per-label F1 difference (exact minus grid).
2. The exact search at 200,000 x 40 against a plain per-label ``np.argsort``
   of the same scores (the sort alone, the lower bound of any exact search).
3. Generalisation: thresholds tuned on a small validation split, scored on a
   large held-out split (samples-F1, micro-F1, macro-F1, Hamming score).

Data: 40 correlated labels with the attribute prevalences of CelebA (from
``list_attr_celeba.txt``), labels from a shared latent factor model and
scores ``sigmoid(signal + noise)`` of a miscalibrated model of varying skill.

Run: ``python benchmarks/bench_thresholds.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from statistics import NormalDist

import numpy as np
from sklearn.metrics import f1_score as sk_f1_score

from multilabel_attr import f1_score, hamming_score
from multilabel_attr.thresholds import _sweep, optimize_thresholds

CELEBA_PREVALENCE = {
    "5_o_Clock_Shadow": 0.111,
    "Arched_Eyebrows": 0.267,
    "Attractive": 0.513,
    "Bags_Under_Eyes": 0.205,
    "Bald": 0.022,
    "Bangs": 0.152,
    "Big_Lips": 0.241,
    "Big_Nose": 0.235,
    "Black_Hair": 0.239,
    "Blond_Hair": 0.148,
    "Blurry": 0.051,
    "Brown_Hair": 0.205,
    "Bushy_Eyebrows": 0.142,
    "Chubby": 0.058,
    "Double_Chin": 0.047,
    "Eyeglasses": 0.065,
    "Goatee": 0.063,
    "Gray_Hair": 0.042,
    "Heavy_Makeup": 0.387,
    "High_Cheekbones": 0.455,
    "Male": 0.417,
    "Mouth_Slightly_Open": 0.483,
    "Mustache": 0.042,
    "Narrow_Eyes": 0.115,
    "No_Beard": 0.835,
    "Oval_Face": 0.284,
    "Pale_Skin": 0.043,
    "Pointy_Nose": 0.277,
    "Receding_Hairline": 0.080,
    "Rosy_Cheeks": 0.066,
    "Sideburns": 0.057,
    "Smiling": 0.482,
    "Straight_Hair": 0.208,
    "Wavy_Hair": 0.320,
    "Wearing_Earrings": 0.189,
    "Wearing_Hat": 0.048,
    "Wearing_Lipstick": 0.472,
    "Wearing_Necklace": 0.123,
    "Wearing_Necktie": 0.073,
    "Young": 0.774,
}
NAMES = list(CELEBA_PREVALENCE)
PREVALENCE = np.array(list(CELEBA_PREVALENCE.values()))


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlated multi-label truth and scores ``sigmoid(signal + noise)``.

    The label model (loadings, skill, bias) is fixed; ``seed`` draws the samples.
    """
    model = np.random.default_rng(12345)
    n_labels = PREVALENCE.size
    loadings = model.normal(0, 0.8, size=(n_labels, 4))
    skill = model.uniform(1.0, 3.0, size=n_labels)  # how separable each label is
    bias = model.normal(-0.5, 0.5, size=n_labels)  # miscalibration of the scores
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n, 4))
    latent = factors @ loadings.T + rng.normal(size=(n, n_labels))
    # Each latent column is Gaussian with variance |loadings|^2 + 1: cut at its quantile.
    scale = np.sqrt((loadings**2).sum(axis=1) + 1)
    cut = scale * np.array([NormalDist().inv_cdf(1 - p) for p in PREVALENCE])
    y = (latent > cut).astype(np.int8)
    signal = skill * (latent - cut) / scale
    scores = 1 / (1 + np.exp(-(signal + bias + rng.normal(0, 1.0, size=signal.shape))))
    return y, scores


def best_time(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def paper_grid(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The paper's search: 100 thresholds in [0, 1], scikit-learn F1 for each, per label."""
    grid = np.linspace(0, 1, 100)
    n_labels = y.shape[1]
    best_t = np.empty(n_labels)
    best_f1 = np.empty(n_labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for j in range(n_labels):
            values = [sk_f1_score(y[:, j], scores[:, j] >= t, zero_division=0) for t in grid]
            k = int(np.argmax(values))
            best_t[j], best_f1[j] = grid[k], values[k]
    return best_t, best_f1


def grid_vs_exact(n: int, dtype: type) -> None:
    y, s = make_data(n, seed=1)
    s = s.astype(dtype)
    print(
        f"\n1. Paper grid (100 thresholds x scikit-learn f1_score) vs exact, {n:,} x {y.shape[1]}, "
        f"{np.dtype(dtype).name} scores"
    )
    start = time.perf_counter()
    _, grid_f1 = paper_grid(y, s)
    grid_time = time.perf_counter() - start
    exact = optimize_thresholds(y, s, min_positives=0, label_names=NAMES)
    exact_time = best_time(lambda: optimize_thresholds(y, s, min_positives=0), repeat=20)
    assert exact.validation_scores is not None
    check = sk_f1_score(y, exact.apply(s), average=None, zero_division=0)
    assert np.allclose(check, exact.validation_scores)
    diff = exact.validation_scores - grid_f1
    print(f"   grid : {grid_time:8.3f} s  ({y.shape[1] * 100:,} f1_score calls)")
    print(f"   exact: {exact_time * 1e3:8.2f} ms (best of 20)")
    print(f"   speed ratio grid / exact: {grid_time / exact_time:,.0f}x")
    print(
        "   per-label F1 difference exact - grid: "
        f"min {diff.min():+.5f}, median {np.median(diff):+.5f}, max {diff.max():+.5f}"
        f"  (labels where exact is lower: {int((diff < -1e-12).sum())})"
    )


def exact_vs_argsort(n: int, dtype: type) -> None:
    y, s = make_data(n, seed=2)
    s = s.astype(dtype)
    print(
        f"\n2. Exact search vs plain per-label np.argsort, {n:,} x {y.shape[1]}, "
        f"{np.dtype(dtype).name} scores"
    )

    def argsort_only() -> None:
        for j in range(s.shape[1]):
            np.argsort(s[:, j])

    sort_time = best_time(argsort_only, repeat=3)
    search_time = best_time(lambda: optimize_thresholds(y, s, min_positives=0), repeat=3)
    # The same search on one thread: the cost of the sweep itself over the bare sorts.
    _sweep.MAX_WORKERS = 1
    try:
        single_time = best_time(lambda: optimize_thresholds(y, s, min_positives=0), repeat=3)
    finally:
        _sweep.MAX_WORKERS = None
    print(f"   np.argsort per label            : {sort_time:.3f} s (best of 3)")
    print(f"   optimize_thresholds             : {search_time:.3f} s (best of 3, label threads)")
    print(f"   optimize_thresholds, one thread : {single_time:.3f} s (best of 3)")
    print(
        f"   ratio search / argsort: {search_time / sort_time:.2f}x "
        f"(one thread: {single_time / sort_time:.2f}x)"
    )


def generalisation(n_val: int, n_test: int) -> None:
    y_val, s_val = make_data(n_val, seed=3)
    y_test, s_test = make_data(n_test, seed=4)
    print(
        f"\n3. Generalisation: tuned on {n_val:,} validation samples, "
        f"scored on {n_test:,} held-out samples (40 labels)"
    )
    candidates: dict[str, object] = {"0.5 everywhere": 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        candidates["per-label F1"] = optimize_thresholds(y_val, s_val)
        candidates["shared (micro-F1)"] = optimize_thresholds(y_val, s_val, strategy="shared")
        candidates["coordinate micro-F1"] = optimize_thresholds(
            y_val, s_val, strategy="coordinate", average="micro"
        )
        candidates["coordinate samples-F1"] = optimize_thresholds(
            y_val, s_val, strategy="coordinate", average="samples"
        )
        candidates["coordinate Hamming score"] = optimize_thresholds(
            y_val, s_val, metric="jaccard", strategy="coordinate", average="samples"
        )
    header = (
        f"   {'thresholds':<26}{'samples-F1':>11}{'micro-F1':>10}{'macro-F1':>10}"
        f"{'Hamming':>9}   {'val samples-F1':>14}{'val micro-F1':>13}"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for name, threshold in candidates.items():
        row = []
        for y, s in ((y_test, s_test), (y_val, s_val)):
            kwargs = {"threshold": threshold, "zero_division": 0}
            row.append(
                (
                    f1_score(y, s, average="samples", **kwargs),
                    f1_score(y, s, average="micro", **kwargs),
                    f1_score(y, s, average="macro", **kwargs),
                    hamming_score(y, s, **kwargs),
                )
            )
        (sf1, mf1, maf1, ham), (vsf1, vmf1, _, _) = row
        print(
            f"   {name:<26}{sf1:>11.4f}{mf1:>10.4f}{maf1:>10.4f}{ham:>9.4f}"
            f"   {vsf1:>14.4f}{vmf1:>13.4f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    args = parser.parse_args()
    small, large, (n_val, n_test) = (
        (1_000, 20_000, (1_000, 5_000)) if args.quick else (5_000, 200_000, (5_000, 50_000))
    )
    # Model outputs are float32 (Keras predictions); float64 scores take the argsort path.
    for dtype in (np.float32, np.float64):
        grid_vs_exact(small, dtype)
    for dtype in (np.float32, np.float64):
        exact_vs_argsort(large, dtype)
    generalisation(n_val, n_test)


if __name__ == "__main__":
    main()
