"""Conversion of a CelebA folder to per-split sharded TFRecords and its manifest."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..._io import atomic_path, file_digest, write_bytes_atomic
from ._annotations import ATTRIBUTES, SPLITS
from ._framing import _example_bytes, _RecordWriter
from ._layout import CelebAFiles, find_files, read_annotations
from ._manifest import MANIFEST, SCHEMA_VERSION, read_manifest, shard_name

_JPEG_MAGIC = b"\xff\xd8\xff"


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
    labels = [row.tobytes() for row in task.labels.astype(np.uint8)]
    # The writer closes before atomic_path renames the shard into place.
    with atomic_path(final) as tmp, _RecordWriter(tmp) as writer:
        for i, name in enumerate(task.filenames):
            if task.payloads is not None:
                image = task.payloads[i]
            else:
                assert task.sources is not None
                image = _read_jpeg(task.sources[i])
            ident = task.identities[i] if task.identities is not None else None
            writer.write(_example_bytes(image, name, task.numbers[i], labels[i], ident))
    entry = _entry(task, size=writer.size, sha256=writer.sha256.hexdigest())
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
            and entry.get("sha256") == file_digest(final)
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
    for stale in out.glob(".*.tfrecord.*tmp"):
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
    [`ATTRIBUTES`][multilabel_attr.datasets.celeba.ATTRIBUTES] order) and ``identity`` when the
    folder has an identity file. Shards are contiguous runs of the split in file order, named by
    [`shard_name`][multilabel_attr.datasets.celeba.shard_name], each written under a temporary name
    and renamed when complete; ``manifest.json`` is written last. Rerunning after an interruption
    keeps the shards that are complete and intact and produces identical output.

    Parameters
    ----------
    root
        A CelebA folder in any layout [`find_files`][multilabel_attr.datasets.celeba.find_files]
        knows, or its [`CelebAFiles`][multilabel_attr.datasets.celeba.CelebAFiles].
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
        p.name: file_digest(p, "md5")
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
