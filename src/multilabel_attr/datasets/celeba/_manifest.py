"""The manifest of a converted folder: naming, reading and verification against the shards."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..._io import file_digest
from ._framing import _scan_framing

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"


def shard_name(split: str, index: int, count: int) -> str:
    """File name of shard ``index`` of ``count`` of ``split``.

    Examples
    --------
    >>> shard_name("test", 0, 10)
    'celeba-test-00000-of-00010.tfrecord'
    """
    return f"celeba-{split}-{index:05d}-of-{count:05d}.tfrecord"




def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and sanity-check ``manifest.json`` of a converted folder.

    Raises
    ------
    FileNotFoundError
        If there is no manifest (the conversion did not finish).
    ValueError
        If the manifest is not valid JSON or has another schema version.
    """
    path = Path(out_dir) / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"no {MANIFEST} in {out_dir}; run convert() first (an "
            "interrupted conversion writes no manifest)"
        ) from None
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if manifest.get("schema_version") != SCHEMA_VERSION or "splits" not in manifest:
        raise ValueError(
            f"{path}: unsupported schema version {manifest.get('schema_version')!r}; "
            f"expected {SCHEMA_VERSION}"
        )
    return manifest


# Verification --------------------------------------------------------------------------------


class ShardVerificationError(ValueError):
    """Converted data failed verification; ``problems`` lists each shard/record at fault."""

    def __init__(self, out_dir: str | os.PathLike[str], problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{out_dir}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))


def verify(out_dir: str | os.PathLike[str], *, progress: bool = False) -> dict[str, int]:
    """Check every shard of a converted folder against its manifest.

    Checks, per shard: presence, size, the framing of every record (length fields and their
    checksums, truncation), the data checksum of every record, the record count, and the sha256
    of the file.

    Returns
    -------
    dict
        ``{"shards": ..., "records": ..., "bytes": ...}`` checked.

    Raises
    ------
    ShardVerificationError
        (a ``ValueError``) listing every problem with the shard and record number.
    FileNotFoundError
        If the folder has no manifest.
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    out = Path(out_dir)
    manifest = read_manifest(out)
    problems: list[str] = []
    shards = [s for split in manifest["splits"].values() for s in split["shards"]]
    checked = {"shards": 0, "records": 0, "bytes": 0}
    for entry in tqdm(shards, desc="verify", unit="shard", disable=not progress):
        path = out / entry["file"]
        name = entry["file"]
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        size = path.stat().st_size
        records = 0
        framing_ok = True
        for item in _scan_framing(path):
            if isinstance(item, str):
                problems.append(f"{name}: {item}")
                framing_ok = False
                break
            records += 1
        if framing_ok:
            try:
                n = 0
                for _ in tf.data.TFRecordDataset(str(path)):
                    n += 1
            except tf.errors.DataLossError:
                problems.append(f"{name}: record {n}: data checksum mismatch (corrupt record)")
                framing_ok = False
        if framing_ok and records != entry["records"]:
            problems.append(f"{name}: {records} records, manifest says {entry['records']}")
        if size != entry["bytes"]:
            problems.append(f"{name}: {size} bytes, manifest says {entry['bytes']}")
        elif framing_ok and file_digest(path) != entry["sha256"]:
            problems.append(f"{name}: sha256 differs from the manifest")
        checked["shards"] += 1
        checked["records"] += records
        checked["bytes"] += size
    if problems:
        raise ShardVerificationError(out, problems)
    return checked
