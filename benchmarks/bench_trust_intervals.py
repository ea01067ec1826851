"""AUROC intervals: the vectorised bootstrap against a per-replicate loop, and fast DeLong.

Data: 200k samples x 40 labels (``bench_metrics.py``'s data: prevalences from
2% to 60%, scores that separate the classes moderately), 1,000 replicates.

1. ``bootstrap_report`` (every count-based metric and the AUROC and AP of every
   replicate, exact) against the peer: scikit-learn's ``roc_auc_score`` and
   ``average_precision_score`` per replicate with the multiplicities as sample
   weights.  The peer is timed on a few replicates and scaled to all of them (a
   full run would take about an hour); its values are checked equal to ours on
   those replicates.
2. ``delong_interval``, fast DeLong (the smaller class of each label sorted), against the bootstrap:
   the same question ("how uncertain is each label's AUROC?") answered from the
   placements instead of resampling.  The widths of the two intervals are printed
   side by side.
3. With ``--simultaneous``: ``bootstrap_report(..., simultaneous=True)``, the band
   over labels, whose every replicate also gets its own jackknife standard error of
   each count metric and of the AUROC (the bootstrap-t band), against the plain
   bootstrap above (target: within 2x).

Run:  python benchmarks/bench_trust_intervals.py [--rows 200000] [--labels 40]
      [--resamples 1000] [--peer-resamples 5] [--simultaneous]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from bench_metrics import make_data, timed

import multilabel_attr as ml
from multilabel_attr.core.report._intervals import multiplicities


def peer_replicates(
    y: np.ndarray, scores: np.ndarray, n_resamples: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's AUROC and AP of each replicate, one call per replicate and metric."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    weight = multiplicities(np.random.default_rng(seed), n_resamples, y.shape[0])
    auc = np.array([roc_auc_score(y, scores, average=None, sample_weight=w) for w in weight])
    ap = np.array(
        [average_precision_score(y, scores, average=None, sample_weight=w) for w in weight]
    )
    return auc, ap


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--labels", type=int, default=40)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--peer-resamples", type=int, default=5)
    parser.add_argument("--simultaneous", action="store_true")
    args = parser.parse_args()
    y, scores = make_data(args.rows, args.labels)
    print(f"data: {args.rows:,} rows x {args.labels} labels, {args.resamples} replicates")

    cpu = time.process_time()
    t_ours, report = timed(
        lambda: ml.bootstrap_report(y, scores, n_resamples=args.resamples, seed=0)
    )
    cpu_ours = time.process_time() - cpu
    if args.simultaneous:
        # Best of two each, one after the other, so that both see the same machine.
        options = {"n_resamples": args.resamples, "seed": 0}
        t_plain, _ = timed(lambda: ml.bootstrap_report(y, scores, **options), repeat=2)
        t_band, _ = timed(
            lambda: ml.bootstrap_report(y, scores, simultaneous=True, **options), repeat=2
        )
        print(
            f"bootstrap_report(simultaneous=True): {t_band:.1f} s; "
            f"{t_band / t_plain:.2f}x the plain bootstrap {t_plain:.1f} s (target <= 2x)"
        )
    from multilabel_attr.core.ranking._resampled import ranked_labels, resampled_auroc_ap

    # Our replicates for the peer's first few (the same draws: the same seed).
    first = multiplicities(np.random.default_rng(0), args.peer_resamples, args.rows)
    our_auc, our_ap = resampled_auroc_ap(ranked_labels(y == 1, scores), first)
    t_peer, (peer_auc, peer_ap) = timed(
        lambda: peer_replicates(y, scores, args.peer_resamples, 0)
    )
    assert np.allclose(our_auc, peer_auc, atol=1e-12, rtol=0), "AUROC replicates differ"
    assert np.allclose(our_ap, peer_ap, atol=1e-12, rtol=0), "AP replicates differ"
    t_peer_all = t_peer / args.peer_resamples * args.resamples
    print(
        f"bootstrap_report, all metrics + AUROC/AP per replicate: {t_ours:.1f} s "
        f"(processor time {cpu_ours:.1f} s, all threads; target < 30 s at 200k x 40 x 1000)"
    )
    print(
        f"scikit-learn loop over replicates: {t_peer:.1f} s for {args.peer_resamples}, "
        f"{t_peer_all:.0f} s scaled to {args.resamples}; ratio {t_peer_all / t_ours:.1f}x "
        "(replicates equal to 1e-12)"
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cpu = time.process_time()
        t_delong, delong = timed(lambda: ml.delong_interval(y, scores), repeat=3)
        cpu_delong = (time.process_time() - cpu) / 3
    print(
        f"fast DeLong interval: {t_delong:.3f} s (processor time {cpu_delong:.2f} s per call); "
        f"bootstrap / DeLong {t_ours / t_delong:.0f}x (target >= 100x)"
    )
    np.testing.assert_allclose(delong.auroc, report.per_label["auroc"], atol=1e-12)
    widths = [
        (report.intervals[f"auroc:{name}"][1] - report.intervals[f"auroc:{name}"][0], width)
        for name, width in zip(report.label_names, delong.high - delong.low)
    ]
    ratio = np.array([boot / dl for boot, dl in widths])
    print(
        "AUROC interval width, bootstrap / DeLong: "
        f"median {np.median(ratio):.3f}, range {ratio.min():.3f} .. {ratio.max():.3f}"
    )


if __name__ == "__main__":
    main()
