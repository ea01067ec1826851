"""The paper's single-file TFRecord format: writing, reading and conversion to shards."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..._io import atomic_path, file_digest
from ._annotations import ATTRIBUTES, read_attributes
from ._cache import CacheChoice, check_cache, resolve_cache
from ._convert import (
    _FEATURES,
    _plan,
    _shard_counts,
    _write_all,
)
from ._layout import CelebAFiles, find_files
from ._manifest import SCHEMA_VERSION
from ._readers import Normalize, _check_read_args, _decoder, _finish_pipeline


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
    written = 0
    # The writer closes before atomic_path renames the file into place.
    with atomic_path(Path(path)) as tmp, tf.io.TFRecordWriter(str(tmp)) as writer:
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
    cache: CacheChoice = False,
) -> Any:
    """Records ``start`` to ``stop`` (0-based, ``stop`` exclusive) of a file in the paper's format.

    The range is selected with ``skip``/``take`` inside tf.data (no per-record filter function); the
    output is the same as [`load`][multilabel_attr.datasets.celeba.load]'s: ``float32`` images and
    labels. ``cache`` keeps the decoded images in memory after the first pass, as in ``load``.

    Raises
    ------
    ValueError
        If ``0 <= start <= stop`` does not hold, or another argument is invalid.
    """
    import tensorflow as tf

    if not (isinstance(start, int) and isinstance(stop, int) and 0 <= start <= stop):
        raise ValueError(f"start, stop: expected 0 <= start <= stop, got {start!r}, {stop!r}")
    _check_read_args(image_size, batch_size, normalize)
    check_cache(cache)
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
        cache=resolve_cache(tf, cache, str(path), "image", stop - start) if stop > start else False,
        n_images=stop - start,
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
        As in [`convert`][multilabel_attr.datasets.celeba.convert].
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
    counts = _shard_counts(shards, {s: len(r) for s, r in split_rows.items()})
    stats = [(len(p), 0) for p in payloads]
    tasks = _plan(out, split_rows, counts, names, numbers, labels, None, None, stats, payloads)
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "format": "celeba-tfrecord",
        "attributes": list(ATTRIBUTES),
        "features": _FEATURES,
        "source": {
            "kind": "legacy",
            "file": src.name,
            "md5": file_digest(src, "md5"),
            "boundaries": [b0, b1],
        },
        "splits": None,  # filled in once the shards are written
        "skipped": [],
    }
    return _write_all(
        out, tasks, manifest, split_rows=split_rows, labels=labels, workers=1, progress=progress
    )
