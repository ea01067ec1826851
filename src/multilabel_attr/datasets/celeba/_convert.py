"""Conversion of a CelebA folder to per-split sharded TFRecords and its manifest."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..._io import atomic_path, file_digest, folder_lock, write_bytes_atomic
from ._annotations import ATTRIBUTES, SPLITS
from ._framing import _example_bytes, _RecordWriter
from ._jpeg import decode_problem, jpeg_problem
from ._layout import CelebAFiles, find_files, read_annotations
from ._manifest import MANIFEST, SCHEMA_VERSION, SHARD_GLOB, shard_name

_PREVIOUS = ".manifest.previous.json"
_LOCK = ".convert.lock"
ImageCheck = Literal["header", "decode"]


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
    decode: bool = False  # check each image by decoding it fully, not only its header


def _image(task: _ShardTask, i: int) -> bytes:
    """Image ``i`` of a shard, checked to be a complete JPEG file; errors name it."""
    if task.payloads is not None:
        data, where = task.payloads[i], f"record for {task.filenames[i]}"
    else:
        assert task.sources is not None
        where = task.sources[i]
        try:
            data = Path(where).read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"image not found: {where}") from None
    problem = decode_problem(data) if task.decode else jpeg_problem(data)
    if problem is not None:
        raise ValueError(f"{where}: {problem}")
    return data


def _write_shard(task: _ShardTask) -> dict[str, Any]:
    """Write one shard under a temporary name, then rename it; returns its manifest entry."""
    out = Path(task.out_dir)
    final = out / task.name
    labels = [row.tobytes() for row in task.labels.astype(np.uint8)]
    # The writer closes before atomic_path renames the shard into place.
    with atomic_path(final) as tmp, _RecordWriter(tmp) as writer:
        for i, name in enumerate(task.filenames):
            image = _image(task, i)
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
    # Nothing left to write (a rerun of a finished conversion): no bar to draw.
    show = progress and bool(todo)
    with tqdm(total=total, initial=done_images, desc=desc, unit="img", disable=not show) as bar:
        if workers <= 1 or len(todo) <= 1:
            for task in todo:
                entries[task.name] = _write_shard(task)
                bar.update(len(task.filenames))
        else:
            import multiprocessing

            # TensorFlow is not fork-safe once imported, so workers are spawned.
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(
                min(workers, len(todo)),
                mp_context=ctx,
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            ) as pool:
                for task, entry in zip(todo, pool.map(_write_shard, todo), strict=False):
                    entries[task.name] = entry
                    bar.update(len(task.filenames))
    return entries


def _watch_parent(parent: int) -> None:
    """Start-up of a writer process: exit as soon as the converting process is gone.

    A killed parent cannot stop its workers, and a worker blocked on the task queue would wait
    forever; this thread notices the change of parent within a fraction of a second.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _remove_temporaries(out: Path) -> None:
    # Left by writes that a kill interrupted (named by _io.atomic_path, or by older versions).
    for pattern in (".celeba-*.tmp", "..celeba-*.tmp", f".{MANIFEST}.*.tmp"):
        for stale in out.glob(pattern):
            stale.unlink(missing_ok=True)


def _prepare(out: Path) -> dict[str, Mapping[str, Any]]:
    """Withdraw the manifest before any shard changes; returns the entries it vouched for.

    Without this, a conversion killed after rewriting some shards would leave the old manifest
    vouching for new shards. The withdrawn manifest is kept under another name until the new
    one is written, so that a conversion killed again can still reuse the shards it names.
    """
    _remove_temporaries(out)
    if (out / MANIFEST).is_file():
        os.replace(out / MANIFEST, out / _PREVIOUS)
    try:
        manifest = json.loads((out / _PREVIOUS).read_text(encoding="utf-8"))
        return {s["file"]: s for split in manifest["splits"].values() for s in split["shards"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _finish(out: Path, manifest: dict[str, Any], tasks: list[_ShardTask]) -> dict[str, Any]:
    write_bytes_atomic(out / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    current = {task.name for task in tasks}
    for shard in out.glob(SHARD_GLOB):
        if shard.name not in current:  # from an earlier conversion with other shard counts
            shard.unlink(missing_ok=True)
    for done in out.glob(".celeba-*.done.json"):
        done.unlink(missing_ok=True)
    (out / _PREVIOUS).unlink(missing_ok=True)
    _remove_temporaries(out)
    return manifest


def _write_all(
    out: Path,
    tasks: list[_ShardTask],
    manifest: dict[str, Any],
    *,
    split_rows: Mapping[str, npt.NDArray[np.int64]],
    labels: npt.NDArray[np.uint8],
    workers: int,
    progress: bool,
) -> dict[str, Any]:
    """Write the shards and the manifest, holding the folder's lock throughout."""
    with folder_lock(out, name=_LOCK, who="convert"):
        previous = _prepare(out)
        entries = _run_tasks(tasks, out, workers, "convert", previous, progress)
        manifest["splits"] = _split_summary(split_rows, labels, tasks, entries)
        return _finish(out, manifest, tasks)


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
    decode: bool = False,
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
                    decode=decode,
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
    check_images: ImageCheck = "header",
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

    While it runs, the folder is locked (a second conversion into it is refused at once; the
    lock dies with its process) and holds no manifest, so that
    [`load`][multilabel_attr.datasets.celeba.load] never reads shards that a manifest does not
    vouch for. Temporary files of an interrupted conversion, and shards of an earlier
    conversion that the new manifest does not name, are removed. Writer processes exit when
    the converting process is killed.

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
    check_images
        How each image is checked to be a complete JPEG file before it is written:
        ``"header"`` (default) checks the start and end markers and the frame header with the
        image size, reading no pixels; ``"decode"`` also decodes it fully with Pillow (slow).
        A damaged image is an error naming the file, whatever ``on_missing`` says.
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
        If an image is not a complete JPEG file (naming it) or an argument is invalid.
    RuntimeError
        If another process is converting into ``out_dir`` (it holds the folder's lock).
    """
    if on_missing not in ("error", "skip"):
        raise ValueError(f"on_missing: expected 'error' or 'skip', got {on_missing!r}")
    if check_images not in ("header", "decode"):
        raise ValueError(f"check_images: expected 'header' or 'decode', got {check_images!r}")
    files = root if isinstance(root, CelebAFiles) else find_files(root)
    if files.images is None:
        raise FileNotFoundError(
            f"no image folder found under {files.root} (layout "
            f"{files.layout!r}); expected img_align_celeba/"
        )
    ann = read_annotations(files)
    sources = [str(files.images / name) for name in ann.filenames]
    stats, missing = _image_stats(sources)
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
        decode=check_images == "decode",
    )
    if workers is None:
        # A worker process starts in a fraction of a second (no TensorFlow), but one process
        # already writes about 20,000 images/s, so workers only pay off for larger sets.
        workers = 1 if len(sources) < 10_000 else min(os.cpu_count() or 1, 8)
    if workers < 0:
        raise ValueError(f"workers: expected >= 0, got {workers}")
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
        "splits": None,  # filled in once the shards are written
        "skipped": [ann.filenames[i] for i in missing],
    }
    return _write_all(
        out,
        tasks,
        manifest,
        split_rows=split_rows,
        labels=ann.labels,
        workers=workers,
        progress=progress,
    )


def _image_stats(sources: Sequence[str]) -> tuple[list[tuple[int, int]], list[int]]:
    """Size and modification time of each image (part of the shard plan), and the missing."""
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
    return stats, missing


_FEATURES = {
    "image": "bytes (original JPEG file)",
    "filename": "bytes",
    "image_number": "int64",
    "labels": "int64[40], 0/1 in attribute order",
}


def _image_number(name: str, index: int) -> int:
    stem = name.rsplit(".", 1)[0]
    return int(stem) if stem.isdigit() else index + 1
