"""Which files of a folder are data, reading them with errors that name the file, and spill
folders that do not outlive the run that made them.

A folder written by Spark, Hadoop or ``pyarrow.dataset`` holds more than its data: ``_SUCCESS``
markers, ``_temporary/`` folders of unfinished or failed tasks, ``.crc`` checksums and other
hidden files.  Spark and ``pyarrow.dataset`` skip every file or folder whose name starts with
``_`` or ``.``; the local and Dask engines skip the same, so a folder holds the same rows on
every engine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ._columns import ColumnError

SPILL_PREFIX = "multilabel_attr-spill-"
"""Spill folders are named ``<prefix><pid>-<random>``: the process that owns them."""


def skipped(name: str) -> bool:
    """Whether Spark and ``pyarrow.dataset`` leave out a file or folder of this name."""
    return name.startswith(("_", "."))


def parquet_files(root: Path) -> list[Path]:
    """The ``.parquet`` data files under ``root``, sorted, skipping what Spark skips."""
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not skipped(name)]
        found += [
            Path(folder) / name
            for name in files
            if name.endswith(".parquet") and not skipped(name)
        ]
    return sorted(found)


def data_files(path: Path) -> list[Path]:
    """The files of a Parquet path: the file itself, or the data files of a folder."""
    if path.is_dir():
        files = parquet_files(path)
        if not files:
            raise ColumnError(f"no .parquet files found in folder {path}")
        return files
    if path.is_file():
        return [path]
    raise FileNotFoundError(f"Parquet path not found: {path}")


def read_failure(exc: BaseException, where: Any) -> ColumnError:
    """A read error of pyarrow (which names no file) restated with the file's name."""
    return ColumnError(f"cannot read {where}: {exc}")


def _read_errors() -> tuple[type[BaseException], ...]:
    import pyarrow as pa

    return (OSError, pa.ArrowException)


def named_batches(batches: Iterable[Any], where: str) -> Iterator[Any]:
    """``batches`` with the errors of reading them (not of using them) naming ``where``."""
    errors = _read_errors()
    iterator = iter(batches)
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            return
        except errors as exc:
            raise read_failure(exc, where) from exc
        yield batch


def open_parquet(file: Path) -> Any:
    """``pyarrow.parquet.ParquetFile`` of ``file``, a failure naming the file."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(file)
    except _read_errors() as exc:
        raise read_failure(exc, file) from exc


def _owner_alive(folder: Path) -> bool:
    pid_text = folder.name[len(SPILL_PREFIX) :].split("-", 1)[0]
    if not pid_text.isdigit():
        return True  # not one of ours by its name: leave it alone
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, owned by another user
    return True


def remove_stale_spills(parent: Path | None = None) -> None:
    """Remove the spill folders of processes that no longer run (killed mid-run)."""
    parent = Path(tempfile.gettempdir()) if parent is None else parent
    for folder in parent.glob(f"{SPILL_PREFIX}*"):
        if folder.is_dir() and not _owner_alive(folder):
            shutil.rmtree(folder, ignore_errors=True)


def spill_folder() -> tempfile.TemporaryDirectory[str]:
    """A fresh spill folder owned by this process, after clearing those of dead runs."""
    remove_stale_spills()
    return tempfile.TemporaryDirectory(prefix=f"{SPILL_PREFIX}{os.getpid()}-")
