"""Many labels: sparse counting against scikit-learn, metrics at k against napkinXC.

Data: 1M samples x 100k labels, about 5 true labels per sample drawn from a
long-tailed (Zipf-like) label distribution, some samples without labels, and
top-5 predictions per sample that hit a true label about half the time.

1. Count-based numbers (samples/micro/macro P/R/F1, Hamming loss, subset
   accuracy) from the CSR matrices, ours against scikit-learn on the same CSR
   matrices; ours also straight from the (n, 5) index array (``TopK``).
2. precision@k and nDCG@k (k = 1, 3, 5) against napkinXC's measures (given
   its fastest input, lists of label lists, converted outside the timing) and
   against a vectorised numpy reference.
3. Dense 1M x 40 (``bench_metrics.py``'s data): this checkout against another
   source tree (``--baseline-src``, e.g. the main branch), same process layout.

Every pair is checked equal before its ratio is printed.  Peak extra memory of
our side is measured with tracemalloc and compared with the input's size.

Run:  python benchmarks/bench_sparse.py [--quick] [--baseline-src /path/to/main/src]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from bench_metrics import peak_memory, timed

import multilabel_attr as ml

K = 5


def make_data(n: int, n_labels: int, seed: int = 0) -> tuple[Any, np.ndarray]:
    """(y_true as CSR, top-K predicted label indices of shape (n, K))."""
    rng = np.random.default_rng(seed)
    # Zipf-like label popularity: label j drawn with probability ~ 1 / (j + 10).
    weights = 1.0 / (np.arange(n_labels) + 10.0)
    cdf = np.cumsum(weights / weights.sum())
    sizes = rng.poisson(5, n)
    rows = np.repeat(np.arange(n, dtype=np.int64), sizes)
    labels = np.minimum(np.searchsorted(cdf, rng.random(rows.size)), n_labels - 1)
    cells = np.unique(rows * n_labels + labels)
    rows, labels = cells // n_labels, cells % n_labels
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n))]
    ones = np.ones(labels.size, np.int8)
    y_true = sp.csr_matrix((ones, labels.astype(np.int32), indptr), shape=(n, n_labels))
    # Candidates: the true labels (boosted) and 2K random ones; keep the K best per row.
    cand_rows = np.r_[rows, np.repeat(np.arange(n, dtype=np.int64), 2 * K)]
    cand_labels = np.r_[
        labels, np.minimum(np.searchsorted(cdf, rng.random(n * 2 * K)), n_labels - 1)
    ]
    score = rng.random(cand_rows.size) + np.r_[np.full(labels.size, 0.1), np.zeros(n * 2 * K)]
    cells, first = np.unique(cand_rows * n_labels + cand_labels, return_index=True)
    cand_rows, cand_labels, score = cells // n_labels, cells % n_labels, score[first]
    order = np.lexsort((-score, cand_rows))
    cand_rows, cand_labels = cand_rows[order], cand_labels[order]
    starts = np.r_[0, np.cumsum(np.bincount(cand_rows, minlength=n))[:-1]]
    rank = np.arange(cand_rows.size) - starts[cand_rows]
    keep = rank < K
    top = cand_labels[keep].reshape(n, K)
    return y_true, top


def topk_csr(top: np.ndarray, n_labels: int) -> Any:
    n = top.shape[0]
    indices = np.sort(top, axis=1).ravel().astype(np.int32)
    indptr = np.arange(0, n * K + 1, K)
    return sp.csr_matrix((np.ones(indices.size, np.int8), indices, indptr), shape=(n, n_labels))


def nbytes(matrix: Any) -> int:
    return int(matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes)


def ours_counts(y_true: Any, y_pred: Any) -> dict[str, float]:
    state = ml.MultilabelCounts.from_batch(y_true, y_pred)
    out = {}
    for average in ("samples", "micro", "macro"):
        out[f"{average} P"] = state.precision_score(average, 0)
        out[f"{average} R"] = state.recall_score(average, 0)
        out[f"{average} F1"] = state.f1_score(average, 0)
    out["Hamming loss"] = state.hamming_loss()
    out["subset accuracy"] = state.subset_accuracy()
    return out


def sklearn_counts(y_true: Any, y_pred: Any) -> dict[str, float]:
    from sklearn import metrics as skm

    out = {}
    for average in ("samples", "micro", "macro"):
        p, r, f, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, average=average, zero_division=0
        )
        out[f"{average} P"], out[f"{average} R"], out[f"{average} F1"] = p, r, f
    out["Hamming loss"] = skm.hamming_loss(y_true, y_pred)
    out["subset accuracy"] = skm.accuracy_score(y_true, y_pred)
    return out


def bench_counts(y_true: Any, top: np.ndarray) -> None:
    n, n_labels = y_true.shape
    y_pred = topk_csr(top, n_labels)
    input_bytes = nbytes(y_true) + nbytes(y_pred)
    ours_time, ours = timed(lambda: ours_counts(y_true, y_pred), 3)
    topk_time, ours_topk = timed(lambda: ours_counts(y_true, ml.TopK(top)), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk_time, theirs = timed(lambda: sklearn_counts(y_true, y_pred))
    for key, value in theirs.items():
        np.testing.assert_allclose(ours[key], value, rtol=1e-9, err_msg=key)
        np.testing.assert_allclose(ours_topk[key], value, rtol=1e-9, err_msg=key)
    peak = peak_memory(lambda: ours_counts(y_true, y_pred))
    topk_peak = peak_memory(lambda: ours_counts(y_true, ml.TopK(top)))
    print(
        f"{n:,} x {n_labels:,}, nnz {y_true.nnz:,} true / {y_pred.nnz:,} predicted; "
        f"input (both CSR) {input_bytes / 2**20:.1f} MiB"
    )
    print(
        f"  11 count-based numbers, CSR vs CSR: ours {ours_time:.3f} s | scikit-learn "
        f"{sk_time:.2f} s | x{sk_time / ours_time:.0f} | peak extra memory "
        f"{peak / 2**20:.1f} MiB = {peak / input_bytes:.2f} x input"
    )
    print(
        f"  the same from TopK (n, {K}) indices: ours {topk_time:.3f} s | "
        f"x{sk_time / topk_time:.0f} | peak extra memory {topk_peak / 2**20:.1f} MiB"
    )


def reference_at_k(y_true: Any, top: np.ndarray, ks: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised numpy P@k and nDCG@k: rows of true labels padded to a rectangle."""
    n = y_true.shape[0]
    sizes = np.diff(y_true.indptr)
    width = max(int(sizes.max()), 1)
    padded = np.full((n, width), -1, np.int64)
    column = np.arange(y_true.nnz) - np.repeat(y_true.indptr[:-1], sizes)
    padded[np.repeat(np.arange(n), sizes), column] = y_true.indices
    hits = np.zeros(top.shape, np.bool_)
    for j in range(width):
        hits |= top == padded[:, j : j + 1]
    discount = 1 / np.log2(np.arange(K) + 2)
    found = np.cumsum(hits, axis=1)
    gain = np.cumsum(hits * discount, axis=1)
    ideal = np.r_[0, np.cumsum(discount)]
    precision, ndcg = [], []
    for k in ks:
        precision.append(found[:, k - 1].mean() / k)
        best = ideal[np.minimum(sizes, k)]
        ndcg.append(np.where(sizes > 0, gain[:, k - 1] / np.maximum(best, 1e-300), 0).mean())
    return np.array(precision), np.array(ndcg)


def bench_at_k(y_true: Any, top: np.ndarray) -> None:
    ks = [1, 3, 5]

    def ours() -> tuple[Any, Any]:
        state = ml.TopKCounts(y_true.shape[1], k=ks)
        state.update(y_true, ml.TopK(top))
        return state.precision_at_k(), state.ndcg_at_k(zero_division=0)

    ours_time, (precision, ndcg) = timed(ours, 3)
    peak = peak_memory(ours)
    ref_time, (ref_p, ref_n) = timed(lambda: reference_at_k(y_true, top, ks))
    np.testing.assert_allclose(precision, ref_p, rtol=1e-12)
    np.testing.assert_allclose(ndcg, ref_n, rtol=1e-12)
    print(
        f"  P@k + nDCG@k (k=1,3,5), one TopKCounts pass: ours {ours_time:.3f} s, peak extra "
        f"memory {peak / 2**20:.1f} MiB = {peak / (nbytes(y_true) + top.nbytes):.2f} x input"
    )
    print(f"    vectorised numpy reference {ref_time:.3f} s | x{ref_time / ours_time:.1f}")
    try:
        from napkinxc import metrics as nxc
    except ImportError:
        print("    napkinXC not installed: compared with the numpy reference only")
        return
    true_lists = np.split(y_true.indices, y_true.indptr[1:-1])
    true_lists = [row.tolist() for row in true_lists]
    pred_lists = top.tolist()
    nxc_time, (nxc_p, nxc_n) = timed(
        lambda: (
            nxc.precision_at_k(true_lists, pred_lists, k=K),
            nxc.ndcg_at_k(true_lists, pred_lists, k=K),
        )
    )
    np.testing.assert_allclose(precision, np.asarray(nxc_p)[[k - 1 for k in ks]], rtol=1e-9)
    np.testing.assert_allclose(ndcg, np.asarray(nxc_n)[[k - 1 for k in ks]], rtol=1e-9)
    print(f"    napkinXC precision_at_k + ndcg_at_k {nxc_time:.2f} s | x{nxc_time / ours_time:.0f}")
    for k, p, g in zip(ks, precision, ndcg):
        print(f"    k={k}: P@k {p:.6f}  nDCG@k {g:.6f}")


_DENSE_SNIPPET = """
import sys, time
sys.path.insert(0, {bench!r})
from bench_metrics import make_data, ours_counts
y_true, y_score = make_data(1_000_000, 40)
best = min(
    (lambda s: (ours_counts(y_true, y_score), time.perf_counter() - s)[1])(time.perf_counter())
    for _ in range(5)
)
print(best)
"""


def dense_time(src: str) -> float:
    env = dict(os.environ, PYTHONPATH=src)
    code = _DENSE_SNIPPET.format(bench=os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip().splitlines()[-1])


def bench_dense(baseline_src: str | None) -> None:
    """This checkout against ``baseline_src``, alternating runs (the machine may be shared)."""
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    ours, base = float("inf"), float("inf")
    for _ in range(2):
        ours = min(ours, dense_time(here))
        if baseline_src:
            base = min(base, dense_time(baseline_src))
    line = f"Dense 1M x 40, every count-based number (ours_counts): {ours * 1e3:.1f} ms"
    if baseline_src:
        line += f" | baseline {base * 1e3:.1f} ms | ratio {ours / base:.2f}"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k x 10k instead of 1M x 100k")
    parser.add_argument("--baseline-src", help="a src/ tree to compare the dense numbers with")
    parser.add_argument("--skip-dense", action="store_true")
    args = parser.parse_args()
    n, n_labels = (100_000, 10_000) if args.quick else (1_000_000, 100_000)
    y_true, top = make_data(n, n_labels)
    print("Count-based metrics from sparse input")
    bench_counts(y_true, top)
    print("Metrics at k")
    bench_at_k(y_true, top)
    if not args.skip_dense:
        bench_dense(args.baseline_src)


if __name__ == "__main__":
    main()
