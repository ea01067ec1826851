"""``--parquet`` for ``multilabel-attr evaluate`` and ``tune``: one of three engines."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENGINES = ("local", "dask", "spark")

# Options that only mean something for Parquet input: (flag, attribute).
PARQUET_ONLY = (("--weight", "weight"), ("--engine", "engine"))


def add_options(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``evaluate`` and ``tune``."""
    group = parser.add_argument_group(
        "Parquet input",
        "With --parquet, --labels and --scores name columns: one array column, or "
        "comma-separated scalar columns (one per label).",
    )
    group.add_argument("--parquet", metavar="PATH", help="a Parquet file or folder of files")
    group.add_argument("--weight", metavar="COL", help="column of sample weights")
    group.add_argument(
        "--engine", choices=ENGINES,
        help="local: stream row groups in this process (default); dask: dask.dataframe on the "
        "default scheduler; spark: a local Spark session (needs Java)",
    )  # fmt: skip


def misplaced(args: argparse.Namespace) -> str | None:
    """Why the options are refused, if Parquet-only options come without ``--parquet``."""
    if args.parquet is not None:
        return None
    given = [flag for flag, attribute in PARQUET_ONLY if getattr(args, attribute) is not None]
    if not given:
        return None
    verb = "applies" if len(given) == 1 else "apply"
    return (
        f"{' and '.join(given)} {verb} only to --parquet input; got {' '.join(given)} "
        "without --parquet"
    )


def columns(text: str) -> str | list[str]:
    """``a,b,c`` names scalar columns; a single name is one array column."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    return names[0] if len(names) == 1 and "," not in text else names


def _engine(args: argparse.Namespace) -> tuple[Any, Any]:
    """The engine module and the data it reads."""
    if args.engine in (None, "local"):
        from .. import parquet

        return parquet, args.parquet
    if args.engine == "dask":
        import dask.dataframe as dd

        from .. import dask as dask_engine
        from .._scale._files import data_files

        # The files the local and Spark engines read: names starting with _ or . and
        # _temporary/ folders are skipped.
        files = data_files(Path(args.parquet))
        return dask_engine, dd.read_parquet([str(file) for file in files])
    return spark_engine_and_frame(args)


# Spark's own log (task failures with their Java and Python traces) is left out unless
# --verbose asks for it: the error the command reports says what failed.
QUIET_LOG4J2 = Path(__file__).with_name("spark-quiet-log4j2.properties")


def spark_engine_and_frame(args: argparse.Namespace) -> tuple[Any, Any]:
    """The Spark engine and a local session's DataFrame of ``args.parquet``."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from .. import spark as spark_engine

    builder = (
        SparkSession.builder.master("local[*]").appName("multilabel-attr")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", str(not args.quiet).lower())
    )  # fmt: skip
    if not args.verbose:
        builder = builder.config(
            "spark.driver.extraJavaOptions",
            f"-Dlog4j2.configurationFile={QUIET_LOG4J2.resolve().as_uri()}",
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR" if args.verbose else "OFF")
    return spark_engine, session.read.parquet(str(args.parquet))


_TRACEBACK = "Traceback (most recent call last):"
# A Java exception's class name before its message: ``org.apache.spark.SparkException: ``.
_JAVA_CLASS = re.compile(r"^(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*: ")


def spark_error_line(exc: BaseException) -> str | None:
    """The line that says what failed, from an error that Spark wrapped; None if not one.

    A failure inside a task comes back as the Python worker's traceback inside the JVM's
    error: its last exception line is the cause. A failure in the JVM reads
    ``An error occurred while calling o28.parquet.`` followed by the Java exception and its
    stack: the exception's message is the cause.
    """
    lines = str(exc).splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == _TRACEBACK]
    if starts:
        # The frames below the header are indented; the first line that is not is the error.
        for line in lines[starts[-1] + 1 :]:
            if line.strip() and not line[0].isspace():
                return line.strip()
    if len(lines) > 1 and lines[0].startswith("An error occurred while calling"):
        cause = lines[1].removeprefix(": ").strip()
        return _JAVA_CLASS.sub("", cause) or None
    return None


def run(args: argparse.Namespace, function: str, **options: Any) -> Any:
    """Call ``function`` (``evaluate`` or ``optimize_thresholds``) of the chosen engine.

    A failure that Spark wrapped in its own error is raised again as a `RuntimeError` whose
    message is the line that says what failed (the whole error stays its cause).
    """
    try:
        engine, data = _engine(args)
        call: Callable[..., Any] = getattr(engine, function)
        return call(
            data, columns(args.labels), columns(args.scores), weight=args.weight, **options
        )
    except Exception as exc:
        line = spark_error_line(exc) if args.engine == "spark" else None
        if line is None:
            raise
        raise RuntimeError(line) from exc
