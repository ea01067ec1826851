"""The manifest of a converted folder: naming, reading and verification against the shards."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ._annotations import ATTRIBUTES, SPLITS
from ._framing import _bytes_features, _records
from ._jpeg import jpeg_problem

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
SHARD_GLOB = "celeba-*-*-of-*.tfrecord"


def shard_name(split: str, index: int, count: int) -> str:
    """File name of shard ``index`` of ``count`` of ``split``.

    Examples
    --------
    >>> shard_name("test", 0, 10)
    'celeba-test-00000-of-00010.tfrecord'
    """
    return f"celeba-{split}-{index:05d}-of-{count:05d}.tfrecord"


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``manifest.json`` of a converted folder and check that it is consistent.

    The checks need no shard to be read: the schema version, the attribute list, the three
    splits, each split's count against its shards' record counts, and each shard's name
    (the expected name for its place, so that no path leads out of the folder).

    Raises
    ------
    FileNotFoundError
        If there is no manifest (the conversion did not finish).
    ShardVerificationError
        (a ``ValueError``) If the manifest is not valid JSON, has another schema version or
        is inconsistent, listing every problem found.
    """
    path = Path(out_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"no {MANIFEST} in {out_dir}; run convert() first (an "
            "interrupted conversion writes no manifest)"
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ShardVerificationError(out_dir, [f"{MANIFEST}: not valid JSON ({exc})"]) from None
    if not isinstance(manifest, dict) or manifest.get("schema_version") != SCHEMA_VERSION:
        version = manifest.get("schema_version") if isinstance(manifest, dict) else None
        raise ShardVerificationError(
            out_dir,
            [f"{MANIFEST}: unsupported schema version {version!r}; expected {SCHEMA_VERSION}"],
        )
    problems = _manifest_problems(manifest)
    if problems:
        raise ShardVerificationError(out_dir, [f"{MANIFEST}: {p}" for p in problems])
    return manifest


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _manifest_problems(manifest: dict[str, Any]) -> list[str]:
    problems = []
    if manifest.get("attributes") != list(ATTRIBUTES):
        problems.append("'attributes' is not the list of CelebA's 40 attributes in file order")
    splits = manifest.get("splits")
    if not isinstance(splits, dict) or sorted(splits) != sorted(SPLITS):
        got = sorted(splits) if isinstance(splits, dict) else splits
        return [*problems, f"'splits': expected the splits {list(SPLITS)}, got {got!r}"]
    for split in SPLITS:
        problems += [f"split {split!r}: {p}" for p in _split_problems(split, splits[split])]
    return problems


def _split_problems(split: str, info: Any) -> list[str]:
    if not isinstance(info, dict) or not isinstance(info.get("shards"), list):
        return ["expected a mapping with a list of 'shards'"]
    problems = []
    count, shards = info.get("count"), info["shards"]
    positives = info.get("positives")
    if not _is_count(count):
        problems.append(f"'count' must be a non-negative integer, got {count!r}")
    elif not (
        isinstance(positives, list)
        and len(positives) == len(ATTRIBUTES)
        and all(_is_count(v) and v <= count for v in positives)
    ):
        problems.append(f"'positives' must be {len(ATTRIBUTES)} counts between 0 and {count}")
    total = 0
    for i, entry in enumerate(shards):
        expected = shard_name(split, i, len(shards))
        if not isinstance(entry, dict) or entry.get("file") != expected:
            name = entry.get("file") if isinstance(entry, dict) else entry
            problems.append(f"shard {i}: expected file {expected!r}, got {name!r}")
            continue
        bad = [k for k in ("records", "bytes") if not _is_count(entry.get(k)) or not entry[k]]
        bad += [k for k in ("sha256", "first", "last") if not isinstance(entry.get(k), str)]
        if bad:
            problems.append(f"{expected}: missing or invalid {', '.join(map(repr, bad))}")
        else:
            total += entry["records"]
    if _is_count(count) and not problems and total != count:
        problems.append(f"'count' is {count}, but its shards hold {total} records")
    return problems


def _shard_files_problems(out: Path, entries: list[dict[str, Any]]) -> list[str]:
    """What a quick look (presence and size) finds wrong with the shards that ``load`` reads."""
    problems = []
    for entry in entries:
        path = out / entry["file"]
        if not path.is_file():
            problems.append(f"{entry['file']}: missing")
        elif path.stat().st_size != entry["bytes"]:
            size = path.stat().st_size
            problems.append(f"{entry['file']}: {size} bytes, manifest says {entry['bytes']}")
    return problems


def _orphans(out: Path, manifest: dict[str, Any]) -> list[str]:
    named = {s["file"] for split in manifest["splits"].values() for s in split["shards"]}
    return sorted(p.name for p in out.glob(SHARD_GLOB) if p.name not in named)


# Verification --------------------------------------------------------------------------------


class ShardVerificationError(ValueError):
    """Converted data failed verification; ``problems`` lists each shard/record at fault."""

    def __init__(self, out_dir: str | os.PathLike[str], problems: list[str]) -> None:
        self.problems = problems
        # The first line names a problem: command-line tools often show only that line.
        if len(problems) == 1:
            message = f"{out_dir}: {problems[0]}"
        else:
            message = f"{out_dir}: {len(problems)} problems, the first: {problems[0]}\n  "
            message += "\n  ".join(problems)
        super().__init__(message)


def verify(out_dir: str | os.PathLike[str], *, progress: bool = False) -> dict[str, int]:
    """Check a converted folder: its manifest, and every shard against it.

    Checks the manifest as [`read_manifest`][multilabel_attr.datasets.celeba.read_manifest]
    does, then, per shard, reading it once: presence and size, the framing of every record
    (length fields and their checksums, truncation), the data checksum of every record, that
    each record is an Example whose image is a complete JPEG file (markers and frame header),
    the record count, the file names of the first and last records, and the sha256 of the
    file. Shard files in the folder that the manifest does not name are reported too.

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
    from tqdm.auto import tqdm

    out = Path(out_dir)
    manifest = read_manifest(out)
    problems = [
        f"{name}: orphan shard, not named by the manifest" for name in _orphans(out, manifest)
    ]
    shards = [s for split in manifest["splits"].values() for s in split["shards"]]
    checked = {"shards": 0, "records": 0, "bytes": 0}
    for entry in tqdm(shards, desc="verify", unit="shard", disable=not progress):
        path = out / entry["file"]
        if not path.is_file():
            problems.append(f"{entry['file']}: missing")
            continue
        found, records = _verify_shard(path, entry)
        problems += [f"{entry['file']}: {p}" for p in found]
        checked["shards"] += 1
        checked["records"] += records
        checked["bytes"] += path.stat().st_size
    if problems:
        raise ShardVerificationError(out, problems)
    return checked


def _verify_shard(path: Path, entry: dict[str, Any]) -> tuple[list[str], int]:
    """Problems of one shard against its manifest entry, and the number of records read."""
    problems: list[str] = []
    digest = hashlib.sha256()
    first = last = None
    records = 0
    for item in _records(path, digest=digest):
        if isinstance(item, str):
            problems.append(item)
            break
        try:
            features = _bytes_features(item[1])
            name = features["filename"].decode("utf-8")
            image = features["image"]
        except (ValueError, KeyError) as exc:
            problems.append(f"record {records}: not an Example with a filename and image ({exc})")
            break
        issue = jpeg_problem(image)
        if issue is not None:
            problems.append(f"record {records} ({name}): {issue}")
        first, last = first or name, name
        records += 1
    size = path.stat().st_size
    if size != entry["bytes"]:
        problems.append(f"{size} bytes, manifest says {entry['bytes']}")
    if problems:
        return problems, records
    if records != entry["records"]:
        problems.append(f"{records} records, manifest says {entry['records']}")
    if digest.hexdigest() != entry["sha256"]:
        problems.append("sha256 differs from the manifest")
    if (first, last) != (entry["first"], entry["last"]):
        problems.append(
            f"first and last images are {first!r} and {last!r}, manifest says "
            f"{entry['first']!r} and {entry['last']!r}"
        )
    return problems, records
