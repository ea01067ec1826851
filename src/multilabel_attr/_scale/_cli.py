"""``--parquet`` for ``multilabel-attr evaluate`` and ``tune``: one of three engines."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

ENGINES = ("local", "dask", "spark")


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
        "--engine", choices=ENGINES, default="local",
        help="local: stream row groups in this process (default); dask: dask.dataframe on the "
        "default scheduler; spark: a local Spark session (needs Java)",
    )  # fmt: skip


def columns(text: str) -> str | list[str]:
    """``a,b,c`` names scalar columns; a single name is one array column."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    return names[0] if len(names) == 1 and "," not in text else names


def _engine(args: argparse.Namespace) -> tuple[Any, Any]:
    """The engine module and the data it reads."""
    if args.engine == "local":
        from .. import parquet

        return parquet, args.parquet
    if args.engine == "dask":
        from pathlib import Path

        import dask.dataframe as dd

        from .. import dask as dask_engine
        from ._files import data_files

        files = data_files(Path(args.parquet))
        return dask_engine, dd.read_parquet([str(file) for file in files])
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from .. import spark as spark_engine

    session = (
        SparkSession.builder.master("local[*]").appName("multilabel-attr")
        .config("spark.ui.enabled", "false").getOrCreate()
    )  # fmt: skip
    session.sparkContext.setLogLevel("ERROR")
    return spark_engine, session.read.parquet(str(args.parquet))


def run(args: argparse.Namespace, function: str, **options: Any) -> Any:
    """Call ``function`` (``evaluate`` or ``optimize_thresholds``) of the chosen engine."""
    engine, data = _engine(args)
    call: Callable[..., Any] = getattr(engine, function)
    return call(
        data, columns(args.labels), columns(args.scores), weight=args.weight, **options
    )
