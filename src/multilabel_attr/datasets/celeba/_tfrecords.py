"""Sharded TFRecords for CelebA: conversion, verification and tf.data readers.

TensorFlow is imported inside the functions that need it, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import struct
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..._io import write_bytes_atomic
from ._annotations import ATTRIBUTES, SPLITS, read_attributes
from ._layout import CelebAFiles, find_files, read_annotations

__all__ = [
    "MANIFEST",
    "SCHEMA_VERSION",
    "ShardVerificationError",
    "convert",
    "convert_legacy",
    "load",
    "load_legacy",
    "read_manifest",
    "shard_name",
    "verify",
    "write_legacy",
]

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
_JPEG_MAGIC = b"\xff\xd8\xff"
Normalize = Literal["unit", "xception"] | None


def shard_name(split: str, index: int, count: int) -> str:
    """File name of shard ``index`` of ``count`` of ``split``.

    Examples
    --------
    >>> shard_name("test", 0, 10)
    'celeba-test-00000-of-00010.tfrecord'
    """
    return f"celeba-{split}-{index:05d}-of-{count:05d}.tfrecord"


# TFRecord framing ----------------------------------------------------------------------------
# Each record is: uint64 length | uint32 masked crc32c(length) | data | uint32 masked crc32c(data).
# Records are written here (no TensorFlow needed); on reading, length checksums are verified
# here and data checksums by TensorFlow's reader, which checks them while reading.


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def _crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), with the google-crc32c C implementation when installed."""
    try:
        import google_crc32c
    except ImportError:  # the pure-Python table: fine for headers, slow for images
        crc = 0xFFFFFFFF
        for b in data:
            crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
        return crc ^ 0xFFFFFFFF
    return int(google_crc32c.value(data))


def _masked_crc32c(data: bytes) -> int:
    """The masked CRC-32C that TFRecord framing stores after the length and the data."""
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class _RecordWriter:
    """Writes TFRecord framing: length, masked CRC of the length, data, masked CRC of the data.

    The format is four fields per record, so the writer needs no TensorFlow: conversion
    runs in light worker processes and in environments without the ``tf`` extra.
    """

    def __init__(self, path: Path) -> None:
        self._handle = open(path, "wb")  # noqa: SIM115 (closed in close())
        # The manifest's checksum, computed as the bytes go out instead of re-reading them.
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, record: bytes) -> None:
        length = struct.pack("<Q", len(record))
        frame = (
            length,
            struct.pack("<I", _masked_crc32c(length)),
            record,
            struct.pack("<I", _masked_crc32c(record)),
        )
        for part in frame:
            self._handle.write(part)
            self.sha256.update(part)
        self.size += 16 + len(record)

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> _RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _scan_framing(path: Path) -> Iterator[tuple[int, int] | str]:
    """Yield (offset, length) per record, or one message string describing bad framing."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        offset = 0
        index = 0
        while offset < size:
            head = fh.read(12)
            if len(head) < 12:
                yield f"record {index} at byte {offset}: truncated header"
                return
            length, crc = struct.unpack("<QI", head)
            if _masked_crc32c(head[:8]) != crc:
                yield f"record {index} at byte {offset}: corrupt length field"
                return
            if offset + 16 + length > size:
                yield (
                    f"record {index} at byte {offset}: truncated (needs {16 + length} bytes, "
                    f"{size - offset} left)"
                )
                return
            yield offset, length
            fh.seek(length + 4, os.SEEK_CUR)
            offset += 16 + length
            index += 1


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# Writing -------------------------------------------------------------------------------------


@dataclass
class _ShardTask:
    out_dir: str
    name: str
    fingerprint: str
    filenames: list[str]
    numbers: list[int]
    labels: npt.NDArray[np.uint8]
    identities: list[int] | None
    sources: list[str] | None = None  # image paths, or ...
    payloads: list[bytes] | None = field(default=None, repr=False)  # ... image bytes


def _varint(value: int) -> bytes:
    """Protocol-buffer varint of a non-negative int."""
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited protocol-buffer field (wire type 2)."""
    size = len(payload)
    return (
        bytes((tag << 3 | 2, size)) + payload
        if size < 0x80
        else (bytes((tag << 3 | 2,)) + _varint(size) + payload)
    )


def _entry_prefix(key: str) -> bytes:
    # A Features.feature map entry starts with its key (field 1) and the Feature's tag (field 2).
    return _field(1, key.encode("ascii")) + bytes((2 << 3 | 2,))


_FILENAME, _IDENTITY, _IMAGE, _NUMBER, _LABELS = (
    _entry_prefix(k) for k in ("filename", "identity", "image", "image_number", "labels")
)


def _map_entry(prefix: bytes, feature: bytes) -> bytes:
    """One map entry: the constant key prefix, the Feature's length and the Feature."""
    return _field(1, prefix + _varint(len(feature)) + feature)


def _bytes_feature(value: bytes) -> bytes:
    return _field(1, _field(1, value))  # Feature.bytes_list -> BytesList.value


def _int64_feature(packed_varints: bytes) -> bytes:
    return _field(3, _field(1, packed_varints))  # Feature.int64_list -> packed Int64List.value


def _example_bytes(
    image: bytes, filename: str, number: int, labels: bytes, identity: int | None
) -> bytes:
    """A serialised ``tf.train.Example`` holding one image and its annotations.

    Encoded directly rather than through the protobuf classes: building message objects
    per image costs more than reading the image.  ``labels`` holds the 0/1 labels as one
    byte each, which is already their packed varint encoding.  Map entries are written in
    sorted key order, so the same inputs always give the same bytes.
    """
    entries = [_map_entry(_FILENAME, _bytes_feature(filename.encode("utf-8")))]
    if identity is not None:
        entries.append(_map_entry(_IDENTITY, _int64_feature(_varint(identity))))
    entries.append(_map_entry(_IMAGE, _bytes_feature(image)))
    entries.append(_map_entry(_NUMBER, _int64_feature(_varint(number))))
    entries.append(_map_entry(_LABELS, _int64_feature(labels)))
    return _field(1, b"".join(entries))  # Example.features -> Features.feature (map entries)


def _read_jpeg(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"image not found: {path}") from None
    if not data.startswith(_JPEG_MAGIC):
        raise ValueError(f"{path} is not a JPEG file (starts with {data[:4]!r})")
    return data


def _write_shard(task: _ShardTask) -> dict[str, Any]:
    """Write one shard under a temporary name, then rename it; returns its manifest entry."""
    out = Path(task.out_dir)
    final = out / task.name
    tmp = out / f".{task.name}.tmp"
    labels = [row.tobytes() for row in task.labels.astype(np.uint8)]
    with _RecordWriter(tmp) as writer:
        for i, name in enumerate(task.filenames):
            if task.payloads is not None:
                image = task.payloads[i]
            else:
                assert task.sources is not None
                image = _read_jpeg(task.sources[i])
            ident = task.identities[i] if task.identities is not None else None
            writer.write(_example_bytes(image, name, task.numbers[i], labels[i], ident))
    entry = _entry(task, size=writer.size, sha256=writer.sha256.hexdigest())
    os.replace(tmp, final)
    write_bytes_atomic(out / f".{task.name}.done.json", json.dumps(entry).encode("utf-8"))
    return entry


def _entry(task: _ShardTask, *, size: int, sha256: str) -> dict[str, Any]:
    return {
        "file": task.name,
        "records": len(task.filenames),
        "bytes": size,
        "sha256": sha256,
        "first": task.filenames[0],
        "last": task.filenames[-1],
        "fingerprint": task.fingerprint,
    }


def _fingerprint(
    filenames: Sequence[str],
    numbers: Sequence[int],
    labels: npt.NDArray[np.uint8],
    identities: Sequence[int] | None,
    stats: Sequence[tuple[int, int]],
) -> str:
    h = hashlib.sha256()
    h.update(
        json.dumps(
            [
                SCHEMA_VERSION,
                list(filenames),
                list(numbers),
                None if identities is None else list(identities),
                list(stats),
            ]
        ).encode()
    )
    h.update(labels.tobytes())
    return h.hexdigest()


def _reusable(
    out: Path, task: _ShardTask, previous: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The entry of an already written shard with the same content plan, if the file is intact."""
    final = out / task.name
    if not final.is_file():
        return None
    candidates: list[Mapping[str, Any]] = []
    done = out / f".{task.name}.done.json"
    if done.is_file():
        with contextlib.suppress(ValueError):
            candidates.append(json.loads(done.read_text()))
    if task.name in previous:
        candidates.append(previous[task.name])
    for entry in candidates:
        if (
            entry.get("fingerprint") == task.fingerprint
            and entry.get("bytes") == final.stat().st_size
            and entry.get("sha256") == _sha256(final)
        ):
            return dict(entry)
    return None


def _shard_counts(
    shards: int | Mapping[str, int] | None, counts: Mapping[str, int]
) -> dict[str, int]:
    out = {}
    for split, count in counts.items():
        if shards is None:
            n = math.ceil(count / 2048)
        elif isinstance(shards, Mapping):
            n = int(shards.get(split, math.ceil(count / 2048)))
        else:
            n = int(shards)
        if n < 1 and count:
            raise ValueError(f"shards: expected >= 1 for split {split!r}, got {n}")
        out[split] = min(n, count) if count else 0
    return out


def _run_tasks(
    tasks: list[_ShardTask],
    out: Path,
    workers: int,
    desc: str,
    previous: Mapping[str, Mapping[str, Any]],
    progress: bool,
) -> dict[str, Any]:
    from tqdm.auto import tqdm

    entries: dict[str, Any] = {}
    todo = []
    for task in tasks:
        entry = _reusable(out, task, previous)
        if entry is None:
            todo.append(task)
        else:
            entries[task.name] = entry
    total = sum(len(t.filenames) for t in tasks)
    done_images = sum(e["records"] for e in entries.values())
    with tqdm(total=total, initial=done_images, desc=desc, unit="img", disable=not progress) as bar:
        if workers <= 1 or len(todo) <= 1:
            for task in todo:
                entries[task.name] = _write_shard(task)
                bar.update(len(task.filenames))
        else:
            import multiprocessing

            # TensorFlow is not fork-safe once imported, so workers are spawned.
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(min(workers, len(todo)), mp_context=ctx) as pool:
                for task, entry in zip(todo, pool.map(_write_shard, todo), strict=False):
                    entries[task.name] = entry
                    bar.update(len(task.filenames))
    return entries


def _finish(out: Path, manifest: dict[str, Any], tasks: list[_ShardTask]) -> dict[str, Any]:
    write_bytes_atomic(out / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    for task in tasks:
        (out / f".{task.name}.done.json").unlink(missing_ok=True)
    for stale in out.glob(".*.tfrecord.tmp"):
        stale.unlink(missing_ok=True)
    return manifest


def _previous_entries(out: Path) -> dict[str, Mapping[str, Any]]:
    try:
        manifest = read_manifest(out)
    except (FileNotFoundError, ValueError):
        return {}
    return {s["file"]: s for split in manifest["splits"].values() for s in split["shards"]}


def _plan(
    out: Path,
    split_rows: Mapping[str, npt.NDArray[np.int64]],
    shard_counts: Mapping[str, int],
    filenames: Sequence[str],
    numbers: Sequence[int],
    labels: npt.NDArray[np.uint8],
    identities: npt.NDArray[np.int64] | None,
    sources: Sequence[str] | None,
    stats: Sequence[tuple[int, int]] | None,
    payloads: Sequence[bytes] | None,
) -> list[_ShardTask]:
    tasks = []
    for split, rows in split_rows.items():
        n = shard_counts[split]
        for i, part in enumerate(np.array_split(rows, n) if n else []):
            idx = part.tolist()
            names = [filenames[j] for j in idx]
            nums = [int(numbers[j]) for j in idx]
            ids = None if identities is None else [int(identities[j]) for j in idx]
            st = [stats[j] for j in idx] if stats is not None else []
            lab = np.ascontiguousarray(labels[part])
            tasks.append(
                _ShardTask(
                    str(out),
                    shard_name(split, i, n),
                    _fingerprint(names, nums, lab, ids, st),
                    names,
                    nums,
                    lab,
                    ids,
                    sources=None if sources is None else [sources[j] for j in idx],
                    payloads=None if payloads is None else [payloads[j] for j in idx],
                )
            )
    return tasks


def _split_summary(
    split_rows: Mapping[str, npt.NDArray[np.int64]],
    labels: npt.NDArray[np.uint8],
    tasks: list[_ShardTask],
    entries: Mapping[str, Any],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split, rows in split_rows.items():
        out[split] = {
            "count": len(rows),
            "positives": labels[rows].sum(axis=0, dtype=np.int64).tolist(),
            "shards": [entries[t.name] for t in tasks if t.name.startswith(f"celeba-{split}-")],
        }
    return out


def convert(
    root: str | os.PathLike[str] | CelebAFiles,
    out_dir: str | os.PathLike[str],
    *,
    shards: int | Mapping[str, int] | None = None,
    workers: int | None = None,
    on_missing: Literal["error", "skip"] = "error",
    progress: bool = True,
) -> dict[str, Any]:
    """Convert a CelebA folder (real or synthetic) to per-split sharded TFRecords.

    Each ``tf.train.Example`` holds the original JPEG bytes (``image``, no re-encoding),
    ``filename``, ``image_number`` (the number in the file name), ``labels`` (40 int64 0/1 in
    :data:`ATTRIBUTES` order) and ``identity`` when the folder has an identity file. Shards are
    contiguous runs of the split in file order, named by :func:`shard_name`, each written under
    a temporary name and renamed when complete; ``manifest.json`` is written last. Rerunning
    after an interruption keeps the shards that are complete and intact and produces identical
    output.

    Parameters
    ----------
    root
        A CelebA folder in any layout :func:`find_files` knows, or its :class:`CelebAFiles`.
    out_dir
        Output folder (created).
    shards
        Shards per split: an int for every split, a mapping ``{split: n}``, or ``None`` for
        about 2,048 images per shard.
    workers
        Writer processes, each writing whole shards; ``0`` or ``1`` writes in this process.
        Default: this process below 10,000 images, else the CPU count (at most 8).
    on_missing
        ``"error"`` raises for a missing image; ``"skip"`` leaves it out and lists it under
        ``"skipped"`` in the manifest.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    dict
        The manifest: schema version, attribute names, per-split counts and label positives,
        per-shard record counts, sizes and sha256, md5 of the source annotation files.

    Raises
    ------
    FileNotFoundError
        If the annotation files or the image folder cannot be found, or an image is missing
        (with ``on_missing="error"``), naming it.
    ValueError
        If an image is not a JPEG file (naming it) or an argument is invalid.
    """
    if on_missing not in ("error", "skip"):
        raise ValueError(f"on_missing: expected 'error' or 'skip', got {on_missing!r}")
    files = root if isinstance(root, CelebAFiles) else find_files(root)
    if files.images is None:
        raise FileNotFoundError(
            f"no image folder found under {files.root} (layout "
            f"{files.layout!r}); expected img_align_celeba/"
        )
    ann = read_annotations(files)
    sources = [str(files.images / name) for name in ann.filenames]
    stats: list[tuple[int, int]] = []
    missing: list[int] = []
    for i, src in enumerate(sources):
        try:
            st = os.stat(src)
        except FileNotFoundError:
            missing.append(i)
            stats.append((-1, -1))
        else:
            stats.append((st.st_size, st.st_mtime_ns))
    if missing and on_missing == "error":
        shown = ", ".join(sources[i] for i in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise FileNotFoundError(
            f"{len(missing)} image(s) listed in {files.attributes} not found: "
            f"{shown}{more} (use on_missing='skip' to leave them out)"
        )
    present = np.ones(len(sources), dtype=bool)
    present[missing] = False
    split_rows = {s: np.flatnonzero((ann.partition == k) & present) for k, s in enumerate(SPLITS)}
    counts = _shard_counts(shards, {s: len(r) for s, r in split_rows.items()})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    numbers = [_image_number(name, i) for i, name in enumerate(ann.filenames)]
    tasks = _plan(
        out,
        split_rows,
        counts,
        ann.filenames,
        numbers,
        ann.labels,
        ann.identities,
        sources,
        stats,
        None,
    )
    if workers is None:
        # A worker process starts in a fraction of a second (no TensorFlow), but one process
        # already writes about 20,000 images/s, so workers only pay off for larger sets.
        workers = 1 if len(sources) < 10_000 else min(os.cpu_count() or 1, 8)
    if workers < 0:
        raise ValueError(f"workers: expected >= 0, got {workers}")
    entries = _run_tasks(tasks, out, workers, "convert", _previous_entries(out), progress)
    annotations = {
        p.name: _md5(p)
        for p in (files.attributes, files.partition, files.identities)
        if p is not None
    }
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "format": "celeba-tfrecord",
        "attributes": list(ATTRIBUTES),
        "features": _FEATURES | ({} if ann.identities is None else {"identity": "int64"}),
        "source": {"kind": "folder", "layout": files.layout, "annotations_md5": annotations},
        "splits": _split_summary(split_rows, ann.labels, tasks, entries),
        "skipped": [ann.filenames[i] for i in missing],
    }
    return _finish(out, manifest, tasks)


_FEATURES = {
    "image": "bytes (original JPEG file)",
    "filename": "bytes",
    "image_number": "int64",
    "labels": "int64[40], 0/1 in attribute order",
}


def _image_number(name: str, index: int) -> int:
    stem = name.rsplit(".", 1)[0]
    return int(stem) if stem.isdigit() else index + 1


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
        elif framing_ok and _sha256(path) != entry["sha256"]:
            problems.append(f"{name}: sha256 differs from the manifest")
        checked["shards"] += 1
        checked["records"] += records
        checked["bytes"] += size
    if problems:
        raise ShardVerificationError(out, problems)
    return checked


# Reading -------------------------------------------------------------------------------------


def _check_read_args(
    image_size: tuple[int, int] | None, batch_size: int | None, normalize: Normalize
) -> None:
    if image_size is not None and (
        len(image_size) != 2 or any(not isinstance(v, int) or v < 1 for v in image_size)
    ):
        raise ValueError(
            f"image_size: expected (height, width) positive ints or None, got {image_size!r}"
        )
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size: expected a positive int or None, got {batch_size!r}")
    if normalize not in (None, "unit", "xception"):
        raise ValueError(f"normalize: expected None, 'unit' or 'xception', got {normalize!r}")


def _decoder(
    tf: Any,
    image_feature: str,
    label_feature: str,
    label_dtype: Any,
    image_size: tuple[int, int] | None,
    normalize: Normalize,
) -> Any:
    spec = {
        image_feature: tf.io.FixedLenFeature([], tf.string),
        label_feature: tf.io.FixedLenFeature([len(ATTRIBUTES)], label_dtype),
    }

    def decode(record: Any) -> tuple[Any, Any]:
        ex = tf.io.parse_single_example(record, spec)
        image = tf.io.decode_jpeg(ex[image_feature], channels=3)
        if image_size is not None:
            image = tf.image.resize(image, image_size, method="bilinear")
        else:
            image = tf.cast(image, tf.float32)
        if normalize == "unit":
            image = image / 255.0
        elif normalize == "xception":
            image = image / 127.5 - 1.0
        return image, tf.cast(ex[label_feature], tf.float32)

    return decode


def _finish_pipeline(
    tf: Any,
    ds: Any,
    decode: Any,
    *,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    shuffle_buffer: int,
    drop_remainder: bool,
) -> Any:
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)


def load(
    out_dir: str | os.PathLike[str],
    split: str,
    *,
    image_size: tuple[int, int] | None = (150, 150),
    batch_size: int | None = 128,
    limit: int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    normalize: Normalize = None,
    shuffle_buffer: int = 4096,
    drop_remainder: bool = False,
    input_context: Any = None,
) -> Any:
    """A ``tf.data.Dataset`` of ``(images, labels)`` for one split of a converted folder.

    Images are ``float32`` ``(batch, height, width, 3)``: raw pixel values in [0, 255] with
    ``normalize=None`` (for models that rescale inside, as the ones in this library do), in
    [0, 1] with ``"unit"``, in [-1, 1] with ``"xception"``. Labels are ``float32`` ``(batch, 40)``.
    Shards are read in file order (or interleaved in a seeded random order when shuffling),
    decoding and resizing run in parallel, and batches are prefetched.

    Parameters
    ----------
    out_dir
        Folder written by :func:`convert`.
    split
        ``"train"``, ``"validation"`` or ``"test"``.
    image_size
        ``(height, width)`` for bilinear resizing, or ``None`` to keep 218×178.
    batch_size
        Batch size, or ``None`` for unbatched examples.
    limit
        Use only the first ``limit`` images of the split in file order (the paper's subsets);
        only the shards that hold them are opened.
    shuffle, seed, shuffle_buffer
        Shuffle shard order and examples (buffer of ``shuffle_buffer``), reproducibly for a seed.
    drop_remainder
        Drop a final partial batch (useful for fixed-shape distributed steps).
    input_context
        A ``tf.distribute.InputContext`` (from ``distribute_datasets_from_function``): each input
        pipeline then reads its own share of the shards (or of the records when there are fewer
        shards than pipelines). Datasets passed to ``experimental_distribute_dataset`` are
        sharded by tf.data's automatic file-based policy.

    Raises
    ------
    ValueError
        For an unknown split, a bad argument, or a ``limit`` above the split's size.
    FileNotFoundError
        If ``out_dir`` has no manifest.
    """
    import tensorflow as tf

    if split not in SPLITS:
        raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
    _check_read_args(image_size, batch_size, normalize)
    manifest = read_manifest(out_dir)
    info = manifest["splits"][split]
    if limit is not None and (not isinstance(limit, int) or limit < 0 or limit > info["count"]):
        raise ValueError(
            f"limit: expected 0..{info['count']} (size of split {split!r}), got {limit!r}"
        )
    files: list[str] = []
    takes: list[int] = []
    remaining = info["count"] if limit is None else limit
    for entry in info["shards"]:
        if remaining <= 0:
            break
        files.append(str(Path(out_dir) / entry["file"]))
        takes.append(min(entry["records"], remaining))
        remaining -= takes[-1]
    if not files:
        raise ValueError(f"split {split!r} of {out_dir} has no images to read (limit={limit})")
    sources = tf.data.Dataset.from_tensor_slices((files, tf.constant(takes, tf.int64)))
    record_shard = False
    if input_context is not None:
        pipelines = input_context.num_input_pipelines
        if len(files) >= pipelines:
            sources = sources.shard(pipelines, input_context.input_pipeline_id)
        else:
            record_shard = True
    if shuffle:
        sources = sources.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        ds = sources.interleave(
            lambda f, k: tf.data.TFRecordDataset(f).take(k),
            cycle_length=min(len(files), 8),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=seed is not None,
        )
    else:
        # One shard after another keeps file order; reading is cheap next to decoding.
        ds = sources.flat_map(lambda f, k: tf.data.TFRecordDataset(f, buffer_size=1 << 20).take(k))
    if record_shard:
        ds = ds.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    decode = _decoder(tf, "image", "labels", tf.int64, image_size, normalize)
    return _finish_pipeline(
        tf,
        ds,
        decode,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=shuffle_buffer,
        drop_remainder=drop_remainder,
    )


# The paper's single-file format ------------------------------------------------------------------


def write_legacy(
    path: str | os.PathLike[str],
    root: str | os.PathLike[str] | CelebAFiles,
    *,
    limit: int | None = None,
    reencode: bool = True,
    progress: bool = False,
) -> int:
    """Write a CelebA folder as one TFRecord file in the paper's format.

    This reproduces the original preprocessing: one file, every image in attribute-file order,
    each Example with ``image`` (JPEG bytes) and ``features`` (40 floats, 0/1); images whose file
    is missing are skipped silently (so later indices shift, as in the original). With
    ``reencode=True`` (the original) every image is opened with Pillow and re-encoded as JPEG at
    Pillow's default quality, which is lossy; ``reencode=False`` stores the original bytes.

    Returns
    -------
    int
        Number of records written.
    """
    import io

    import tensorflow as tf
    from PIL import Image
    from tqdm.auto import tqdm

    files = root if isinstance(root, CelebAFiles) else find_files(root)
    if files.images is None:
        raise FileNotFoundError(f"no image folder found under {files.root}")
    names, labels = read_attributes(files.attributes)
    if limit is not None:
        names, labels = names[:limit], labels[:limit]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    written = 0
    with tf.io.TFRecordWriter(str(tmp)) as writer:
        for name, row in tqdm(
            zip(names, labels.astype(np.float32).tolist(), strict=False),
            total=len(names),
            desc="legacy",
            unit="img",
            disable=not progress,
        ):
            src = files.images / name
            if not src.is_file():
                continue
            if reencode:
                buf = io.BytesIO()
                with Image.open(src) as im:
                    im.save(buf, format="JPEG")
                data = buf.getvalue()
            else:
                data = src.read_bytes()
            ex = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[data])),
                        "features": tf.train.Feature(float_list=tf.train.FloatList(value=row)),
                    }
                )
            )
            writer.write(ex.SerializeToString(deterministic=True))
            written += 1
    os.replace(tmp, target)
    return written


def load_legacy(
    path: str | os.PathLike[str],
    start: int,
    stop: int,
    *,
    image_size: tuple[int, int] | None = (150, 150),
    batch_size: int | None = 128,
    shuffle: bool = False,
    seed: int | None = None,
    normalize: Normalize = None,
    shuffle_buffer: int = 4096,
    drop_remainder: bool = False,
) -> Any:
    """Records ``start`` to ``stop`` (0-based, ``stop`` exclusive) of a file in the paper's format.

    The range is selected with ``skip``/``take`` inside tf.data (no per-record filter
    function); the output is the same as :func:`load`'s: ``float32`` images and labels.

    Raises
    ------
    ValueError
        If ``0 <= start <= stop`` does not hold, or another argument is invalid.
    """
    import tensorflow as tf

    if not (isinstance(start, int) and isinstance(stop, int) and 0 <= start <= stop):
        raise ValueError(f"start, stop: expected 0 <= start <= stop, got {start!r}, {stop!r}")
    _check_read_args(image_size, batch_size, normalize)
    if not Path(path).is_file():
        raise FileNotFoundError(f"legacy TFRecord file not found: {path}")
    ds = tf.data.TFRecordDataset(str(path), buffer_size=1 << 20).skip(start).take(stop - start)
    decode = _decoder(tf, "image", "features", tf.float32, image_size, normalize)
    return _finish_pipeline(
        tf,
        ds,
        decode,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=shuffle_buffer,
        drop_remainder=drop_remainder,
    )


def convert_legacy(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    boundaries: tuple[int, int] | None = None,
    shards: int | Mapping[str, int] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Convert a file in the paper's single-file format to the sharded format.

    The legacy format stores neither file names nor splits, so record ``i`` becomes image
    ``{i + 1:06d}.jpg`` (exact only if no image was skipped when the file was written) and splits
    are taken by index.

    Parameters
    ----------
    path
        The legacy TFRecord file.
    out_dir
        Output folder.
    boundaries
        ``(train_end, validation_end)``: records ``[0, train_end)`` are train,
        ``[train_end, validation_end)`` validation, the rest test. Default: CelebA's split
        (162,770 and 182,637) for a 202,599-record file, otherwise CelebA's proportions.
    shards
        As in :func:`convert`.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    dict
        The manifest.
    """
    import tensorflow as tf

    from ._synthetic import split_sizes

    src = Path(path)
    if not src.is_file():
        raise FileNotFoundError(f"legacy TFRecord file not found: {path}")
    spec = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "features": tf.io.FixedLenFeature([len(ATTRIBUTES)], tf.float32),
    }
    payloads: list[bytes] = []
    rows: list[npt.NDArray[np.float32]] = []
    ds = tf.data.TFRecordDataset(str(src)).map(lambda r: tf.io.parse_single_example(r, spec))
    for ex in ds.as_numpy_iterator():
        payloads.append(bytes(ex["image"]))
        rows.append(ex["features"])
    total = len(payloads)
    values = np.array(rows, dtype=np.float32).reshape(total, len(ATTRIBUTES))
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(f"{path}: 'features' holds values other than 0 and 1")
    labels = values.astype(np.uint8)
    if boundaries is None:
        tr, va, _ = split_sizes(total) if total >= 3 else (total, 0, 0)
        boundaries = (tr, tr + va)
    b0, b1 = boundaries
    if not 0 <= b0 <= b1 <= total:
        raise ValueError(
            f"boundaries: expected 0 <= train_end <= validation_end <= {total}, got {boundaries!r}"
        )
    index = np.arange(total, dtype=np.int64)
    split_rows = {"train": index[:b0], "validation": index[b0:b1], "test": index[b1:]}
    names = [f"{i + 1:06d}.jpg" for i in range(total)]
    numbers = list(range(1, total + 1))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = _shard_counts(shards, {s: len(r) for s, r in split_rows.items()})
    stats = [(len(p), 0) for p in payloads]
    tasks = _plan(out, split_rows, counts, names, numbers, labels, None, None, stats, payloads)
    entries = _run_tasks(tasks, out, 1, "convert", _previous_entries(out), progress)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "format": "celeba-tfrecord",
        "attributes": list(ATTRIBUTES),
        "features": _FEATURES,
        "source": {"kind": "legacy", "file": src.name, "md5": _md5(src), "boundaries": [b0, b1]},
        "splits": _split_summary(split_rows, labels, tasks, entries),
        "skipped": [],
    }
    return _finish(out, manifest, tasks)
