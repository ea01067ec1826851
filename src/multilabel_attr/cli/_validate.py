"""``multilabel-attr validate``: release gates for a training pipeline.

The command reads the labels, the candidate's and the baseline's scores and a
JSON file of rules, runs [`validate`][multilabel_attr.core.validate] and prints
the result; it exits with 3 when a rule fails (with ``--strict``, also when one
is missing), so a pipeline can stop a worse model.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._main import CommandError, _read_matrix, _read_npy, _threshold_argument, _write_or_print

GATE_FAILED = 3
"""The exit code of a failed gate (1 is an error, 2 a usage error)."""


def _read_rules(path: str) -> Any:
    file = Path(path)
    if not file.exists():
        raise CommandError(f"rules file not found: {path}")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CommandError(f"rules file {path} is not valid JSON: {exc}") from exc


def _refuse_parquet(args: argparse.Namespace) -> None:
    """``validate`` bootstraps arrays in memory only: Parquet input and slices are refused in
    one line, before any file is read, pointing to the engines that have them."""
    given = [flag for flag, value in (("--parquet", args.refused_parquet),
                                      ("--group-by", args.refused_group_by)) if value]  # fmt: skip
    if given:
        raise CommandError(
            f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} not available here: "
            "validate bootstraps .npy/.csv arrays without slices; for intervals on slices of "
            "Parquet rows use multilabel_attr.parquet.bootstrap_report(..., groups=...)"
        )


def _read_cluster(path: str | None) -> Any:
    """One group id per row: a 1-D ``.npy`` of ints or strings, or a text file, one id a line."""
    if path is None:
        return None
    file = Path(path)
    if not file.exists():
        raise CommandError(f"cluster file not found: {path}")
    if file.suffix == ".npy":
        return _read_npy(file, "cluster")
    return [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cmd_validate(args: argparse.Namespace) -> int:
    from ..core import validate
    from ..core._internal import load_rules

    _refuse_parquet(args)
    rules = load_rules(_read_rules(args.rules))  # checked before any array is read
    y_true, names = _read_matrix(args.labels, "labels")
    candidate, score_names = _read_matrix(args.candidate, "candidate")
    baseline = _read_matrix(args.baseline, "baseline")[0] if args.baseline else None
    cluster = _read_cluster(args.cluster)
    names = args.label_names.split(",") if args.label_names else names or score_names
    baseline_threshold = None
    if args.baseline_thresholds:
        from ..thresholds import Thresholds

        baseline_threshold = Thresholds.from_json(args.baseline_thresholds, label_names=names)
    result = validate(
        y_true, candidate, baseline, rules, threshold=_threshold_argument(args, names),
        baseline_threshold=baseline_threshold, n_resamples=args.n_resamples,
        confidence_level=args.confidence_level, seed=args.seed, from_logits=args.from_logits,
        label_names=names, cluster=cluster,
    )  # fmt: skip
    _write_or_print(result.to_json() if args.format == "json" else result.to_text(), args.output)
    if result.failed or (args.strict and result.missing):
        return GATE_FAILED
    return 0


def add_validate_command(
    command: Callable[[str, str], argparse.ArgumentParser],
    threshold_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    p = command(
        "validate",
        "Release gates: check a candidate model against rules on interval bounds "
        f"(exit code {GATE_FAILED} when a rule fails).",
    )
    p.add_argument("--labels", required=True, help="y_true, shape (n_samples, n_labels)")
    p.add_argument("--candidate", required=True, help="the candidate model's scores")
    p.add_argument("--baseline", help="the baseline model's scores (for relative rules)")
    p.add_argument("--rules", required=True, help="JSON list of rules (text or objects)")
    threshold_options(p)
    p.add_argument("--baseline-thresholds", help="the baseline's thresholds JSON (default: same)")
    p.add_argument("--from-logits", action="store_true")
    p.add_argument("--label-names", help="comma-separated names (default: CSV header)")
    p.add_argument("--n-resamples", type=int, default=1000)
    p.add_argument("--confidence-level", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--cluster", metavar="PATH",
        help="one group id per row (.npy, or text with one id a line, e.g. the identity of each "
        "image): whole groups are resampled",
    )  # fmt: skip
    p.add_argument("--strict", action="store_true", help="missing rules fail the gate too")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("-o", "--output", help="write the result here instead of standard output")
    # Taken only to refuse them with a message that says where they are available.
    p.add_argument("--parquet", dest="refused_parquet", help=argparse.SUPPRESS)
    p.add_argument("--group-by", dest="refused_group_by", help=argparse.SUPPRESS)
    p.set_defaults(run=_cmd_validate)
