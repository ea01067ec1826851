"""``multilabel-attr``: one command for every job of the library.

Exit codes: 0 success, 1 failure (one clear line on stderr, the traceback with
``--verbose``), 2 usage error, 3 a release gate failed (``validate``).  Optional
dependencies are imported by the subcommands that need them, so ``--help`` is
instant.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import __version__
from .._tensorflow import import_tensorflow_quietly
from . import _parquet
from ._charts import score_charts

PROG = "multilabel-attr"

EXAMPLES = {
    "synth": "multilabel-attr synth data/celeba-synth --num-images 2000 --seed 0",
    "convert": "multilabel-attr convert data/celeba-synth data/tfrecords --workers 2",
    "verify": "multilabel-attr verify data/tfrecords",
    "stats": "multilabel-attr stats data/celeba-synth --figure prevalence.png",
    "evaluate": "multilabel-attr evaluate --labels y.npy --scores s.npy --format markdown",
    "tune": "multilabel-attr tune --labels y_val.npy --scores s_val.npy -o thresholds.json",
    "validate": "multilabel-attr validate --labels y.npy --candidate new.npy --baseline old.npy "
    "--rules rules.json",
    "evaluate-parquet": "multilabel-attr evaluate --parquet scores/ --labels labels "
    "--scores scores --engine spark",
    "train": "multilabel-attr train data/tfrecords --model cnn --output runs/cnn --epochs 5",
    "predict": "multilabel-attr predict runs/cnn/final.keras photos/ --thresholds t.json",
    "reproduce": "multilabel-attr reproduce --output outputs/reproduction",
}


class CommandError(Exception):
    """A failure to report as one line (exit code 1)."""


def _read_matrix(path: str, what: str) -> tuple[NDArray[Any], list[str] | None]:
    """A 2-D array from ``.npy`` or ``.csv`` (an optional non-numeric header gives names)."""
    file = Path(path)
    if not file.exists():
        raise CommandError(f"{what} file not found: {path}")
    if file.suffix == ".npy":
        return _read_npy(file, what), None
    if file.suffix in (".csv", ".txt"):
        with file.open(encoding="utf-8") as handle:
            first = handle.readline().strip()
        cells = [c.strip() for c in first.split(",")]
        try:
            [float(c) for c in cells]
            header = None
        except ValueError:
            header = cells
        data = np.loadtxt(file, delimiter=",", skiprows=1 if header else 0, ndmin=2)
        return data, header
    raise CommandError(f"{what} must be a .npy or .csv file; got {path}")


def _read_npy(file: Path, what: str) -> NDArray[Any]:
    with file.open("rb") as handle:
        magic = handle.read(6)
    if magic != b"\x93NUMPY":
        raise CommandError(
            f"{what} file {file} is not a NumPy .npy file (it lacks the .npy header); write "
            "arrays with numpy.save, or pass a .csv file"
        )
    try:
        return np.load(file, allow_pickle=False)
    except ValueError as exc:  # an object array: refused without pickle, and not numbers anyway
        raise CommandError(
            f"{what} file {file} holds Python objects, not a numeric array; save a numeric "
            "array with numpy.save"
        ) from exc


def _output_file(text: str) -> str:
    """``-o``: checked when parsed, so a bad path is refused before any data is read."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected the path of a file to write; got {text!r}")
    if Path(text).is_dir():
        raise argparse.ArgumentTypeError(
            f"{text!r} is an existing folder; expected the path of a file to write"
        )
    return text


def _slice_size(text: str) -> int:
    """``--min-slice-size``: a count of rows, checked when parsed."""
    try:
        size = int(text)
    except ValueError:
        size = -1
    if size < 0:
        raise argparse.ArgumentTypeError(f"expected a number of rows (0 or more); got {text!r}")
    return size


def _write_or_print(text: str, output: str | None) -> None:
    if output is None:
        print(text)
        return
    from .._io import write_text_atomic

    write_text_atomic(Path(output), text + "\n")
    print(f"wrote {output}", file=sys.stderr)


def _cmd_synth(args: argparse.Namespace) -> None:
    from ..datasets import celeba

    files = celeba.make_synthetic(
        args.root, args.num_images, seed=args.seed, layout=args.layout,
        labels=args.labels_from, workers=args.workers, progress=not args.quiet,
    )  # fmt: skip
    print(f"synthetic CelebA ({args.num_images} images, layout {args.layout}) in {files.root}")


def _cmd_convert(args: argparse.Namespace) -> None:
    from ..datasets import celeba

    manifest = celeba.convert(
        args.root, args.out_dir, shards=args.shards, workers=args.workers,
        on_missing=args.on_missing, check_images=args.check_images, progress=not args.quiet,
    )  # fmt: skip
    counts = manifest.get("splits", manifest.get("counts", {}))
    print(f"converted to {args.out_dir}: {json.dumps(counts)}")


def _cmd_verify(args: argparse.Namespace) -> None:
    from ..datasets import celeba

    try:
        counts = celeba.verify(args.out_dir, progress=not args.quiet)
    except celeba.ShardVerificationError as exc:
        problems = "; ".join(str(p) for p in exc.problems)
        raise CommandError(f"{args.out_dir}: {len(exc.problems)} problem(s): {problems}") from exc
    print(f"{args.out_dir}: all shards valid; records per split {json.dumps(counts)}")


def _cmd_stats(args: argparse.Namespace) -> None:
    from ..datasets import celeba

    source = Path(args.source)
    if (source / celeba.MANIFEST).exists():
        manifest = celeba.read_manifest(source)
        raise CommandError(
            f"{source} is a TFRecord folder (manifest schema {manifest.get('schema_version')}); "
            "pass the CelebA folder or its attribute file instead"
        )
    stats = celeba.label_statistics(source)
    print(celeba.format_statistics(stats))
    if args.figure:
        from .. import plots

        splits: list[str] = [s for s in celeba.SPLITS if s in stats.counts] or ["all"]
        figure = plots.plot_label_prevalence(
            {s: stats.prevalence(s) for s in splits}, celeba.ATTRIBUTES
        )
        plots.save_figure(figure, args.figure)
        print(f"wrote {args.figure}", file=sys.stderr)


def _threshold_argument(args: argparse.Namespace, names: Sequence[str] | None) -> Any:
    if args.thresholds:
        from ..thresholds import Thresholds

        return Thresholds.from_json(args.thresholds, label_names=names)
    return args.threshold


def _group_options(args: argparse.Namespace, names: Sequence[str] | None) -> dict[str, Any]:
    """``groups`` and ``min_slice_size`` from ``--group-by`` (label names for arrays)."""
    if args.group_by is None:
        if args.min_slice_size is not None:
            raise CommandError("--min-slice-size needs --group-by")
        return {}
    groups = [name.strip() for name in args.group_by.split(",") if name.strip()]
    if not groups:
        raise CommandError(f"--group-by must name columns; got {args.group_by!r}")
    repeated = sorted({name for name in groups if groups.count(name) > 1})
    if repeated:
        raise CommandError(f"--group-by repeats {', '.join(map(repr, repeated))}")
    if not args.parquet:
        if names is None:
            raise CommandError(
                "--group-by names label columns: give --label-names or a CSV header"
            )
        unknown = [name for name in groups if name not in names]
        if unknown:
            raise CommandError(
                f"--group-by names {', '.join(map(repr, unknown))}, not a label; labels are "
                f"{', '.join(names)}"
            )
    size = 1 if args.min_slice_size is None else args.min_slice_size
    return {"groups": groups, "min_slice_size": size}


def _cmd_evaluate(args: argparse.Namespace) -> None:
    from ..core import evaluate
    from ..core._internal import check_options

    # Before any file is read or engine started, as every entry point does.
    check_options({name: (name, getattr(args, name)) for name in ("threshold", "from_logits")})
    if args.parquet:
        names = args.label_names.split(",") if args.label_names else None
        # The engine matches a thresholds file to the labels by name, as it does any Thresholds.
        report = _parquet.run(
            args, "evaluate", threshold=_threshold_argument(args, None), label_names=names,
            from_logits=args.from_logits, zero_division=0, **_group_options(args, names),
        )  # fmt: skip
        _write_report(report, args)
        return
    y_true, names = _read_matrix(args.labels, "labels")
    y_score, score_names = _read_matrix(args.scores, "scores")
    names = args.label_names.split(",") if args.label_names else names or score_names
    report = evaluate(
        y_true, y_score, threshold=_threshold_argument(args, names), label_names=names,
        from_logits=args.from_logits, zero_division=0, **_group_options(args, names),
    )  # fmt: skip
    _write_report(report, args, lambda: score_charts(report, y_true, y_score, names,
                                                     args.from_logits))  # fmt: skip


def _write_report(report: Any, args: argparse.Namespace, charts: Any = dict) -> None:
    _write_or_print(_render(report, args.format), args.output)
    if args.html:
        report.to_html(args.html, **charts())
        print(f"wrote {args.html}", file=sys.stderr)


def _render(report: Any, kind: str) -> str:
    text: str = {"text": report.to_text, "markdown": report.to_markdown,
                 "json": report.to_json}[kind]()  # fmt: skip
    return text


def _cmd_tune(args: argparse.Namespace) -> None:
    from ..thresholds import optimize_thresholds
    from ..thresholds._internal import resolve_settings

    options = {
        "metric": args.metric, "strategy": args.strategy, "min_positives": args.min_positives,
        "from_logits": args.from_logits,
    }  # fmt: skip
    resolve_settings(**options)  # the search's door, before any file is read or engine started
    if args.parquet:
        names = args.label_names.split(",") if args.label_names else None
        thresholds = _parquet.run(args, "optimize_thresholds", label_names=names, **options)
    else:
        y_true, names = _read_matrix(args.labels, "labels")
        y_score, score_names = _read_matrix(args.scores, "scores")
        names = args.label_names.split(",") if args.label_names else names or score_names
        thresholds = optimize_thresholds(y_true, y_score, label_names=names, **options)
    thresholds.to_json(args.output)
    print(repr(thresholds))
    print(f"wrote {args.output}", file=sys.stderr)


def _add_threshold_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--threshold", type=float, default=0.5, help="one threshold (default 0.5)")
    group.add_argument("--thresholds", help="per-label thresholds JSON written by 'tune'")


_TENSORFLOW_COMMANDS = frozenset({"convert", "verify", "train", "predict", "reproduce"})


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``multilabel-attr`` (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Multi-label metrics, threshold tuning and the CelebA attribute pipeline.",
        epilog="examples:\n  " + "\n  ".join(EXAMPLES.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", "--traceback", action="store_true",
        help="show tracebacks (and Spark's log) on errors",
    )
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, help=help_text, description=help_text, parents=[common],
            epilog=f"example:\n  {EXAMPLES[name]}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip

    _add_data_commands(command)
    p = command("evaluate", "Evaluate labels and scores (.npy/.csv) into a report.")
    p.add_argument("--labels", required=True, help="y_true, shape (n_samples, n_labels)")
    p.add_argument("--scores", required=True, help="y_score, same shape")
    _add_threshold_options(p)
    p.add_argument("--from-logits", action="store_true")
    p.add_argument("--label-names", help="comma-separated names (default: CSV header)")
    p.add_argument("--format", choices=["text", "markdown", "json"], default="text")
    p.add_argument(
        "-o", "--output", type=_output_file, help="write here instead of standard output"
    )
    p.add_argument(
        "--group-by", metavar="COL[,COL]",
        help="evaluate every slice of these label columns (with --parquet: any columns), "
        "crossed; a sliced label is left out of its own slice's metrics",
    )  # fmt: skip
    p.add_argument(
        "--min-slice-size", type=_slice_size, metavar="N",
        help="with --group-by: hide (and list) slices of fewer rows",
    )  # fmt: skip
    p.add_argument(
        "--html", metavar="PATH", type=_output_file,
        help="also write a self-contained HTML page (tables; disparity charts with --group-by)",
    )  # fmt: skip
    _parquet.add_options(p)
    p.set_defaults(run=_cmd_evaluate, usage_error=p.error)

    p = command("tune", "Tune per-label thresholds on validation labels and scores.")
    p.add_argument("--labels", required=True)
    p.add_argument("--scores", required=True)
    p.add_argument("--metric", default="f1", help="f1, jaccard, mcc, balanced_accuracy, ...")
    p.add_argument("--strategy", default="per_label", help="per_label, shared or coordinate")
    p.add_argument("--min-positives", type=int, default=10)
    p.add_argument("--from-logits", action="store_true")
    p.add_argument("--label-names", help="comma-separated names (default: CSV header)")
    p.add_argument(
        "-o", "--output", type=_output_file, required=True, help="thresholds JSON to write"
    )
    _parquet.add_options(p)
    p.set_defaults(run=_cmd_tune, usage_error=p.error)

    from ._validate import add_validate_command

    add_validate_command(command, _add_threshold_options)

    from ._models import add_model_commands

    add_model_commands(command, _add_threshold_options)
    return parser


Command = Callable[[str, str], argparse.ArgumentParser]


def _add_data_commands(command: Command) -> None:
    """synth, convert, verify and stats."""
    p = command("synth", "Write a synthetic CelebA-format folder (images + annotation files).")
    p.add_argument("root", help="folder to create")
    p.add_argument("-n", "--num-images", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layout", default="original", help="original, torchvision, kaggle or flat")
    p.add_argument("--labels-from", help="reuse real label rows from this attribute file")
    p.add_argument("--workers", type=int)
    p.set_defaults(run=_cmd_synth)

    p = command("convert", "Convert a CelebA folder to sharded TFRecords with a manifest.")
    p.add_argument("root", help="CelebA folder (any supported layout)")
    p.add_argument("out_dir", help="output folder")
    p.add_argument("--shards", type=int, help="shards per split (default: by size)")
    p.add_argument("--workers", type=int)
    p.add_argument("--on-missing", choices=["error", "skip"], default="error")
    p.add_argument(
        "--check-images", choices=["header", "decode"], default="header",
        help="check each JPEG's markers and header (default) or decode it fully (slow)",
    )  # fmt: skip
    p.set_defaults(run=_cmd_convert)

    p = command("verify", "Check a TFRecord folder against its manifest (sizes, sums, records).")
    p.add_argument("out_dir")
    p.set_defaults(run=_cmd_verify)

    p = command("stats", "Label prevalence per split and class imbalance.")
    p.add_argument("source", help="CelebA folder or attribute file")
    p.add_argument("--figure", help="also save the prevalence chart to this PNG")
    p.set_defaults(run=_cmd_stats)


def _warning_printer(command: str) -> Callable[..., None]:
    """Warnings as one line naming the command, like errors, without a source line.

    Python's default format shows the file and line that triggered the warning,
    which for a console script is the entry point's ``sys.exit(run())``.
    """

    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        print(f"{PROG} {command}: {category.__name__}: {message}", file=sys.stderr)

    return show


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``multilabel-attr``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if hasattr(args, "parquet") and (why := _parquet.misplaced(args)):
        args.usage_error(why)
    if not args.verbose and args.command in _TENSORFLOW_COMMANDS:
        import_tensorflow_quietly()
    try:
        with warnings.catch_warnings():
            if not args.verbose:
                warnings.showwarning = _warning_printer(args.command)
            code = args.run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line unless --verbose
        if args.verbose:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"{PROG} {args.command}: error: {message}", file=sys.stderr)
        return 1
    return int(code or 0)
