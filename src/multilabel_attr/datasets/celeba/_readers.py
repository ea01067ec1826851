"""tf.data readers of converted folders (TensorFlow is imported when they are called)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from ._annotations import ATTRIBUTES, SPLITS
from ._cache import CacheChoice, assemble, check_cache, resolve_cache
from ._manifest import ShardVerificationError, _shard_files_problems, read_manifest

Normalize = Literal["unit", "xception"] | None


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
    name_feature: str | None = None,
) -> tuple[Any, Any]:
    """The two map stages: record to ``uint8`` image and labels, then resize and scale.

    Split so that the readers' cache can sit between them and hold the compact decoded pixels;
    applied back to back they decode one record.
    """
    spec = {
        image_feature: tf.io.FixedLenFeature([], tf.string),
        label_feature: tf.io.FixedLenFeature([len(ATTRIBUTES)], label_dtype),
    }
    if name_feature is not None:
        spec[name_feature] = tf.io.FixedLenFeature([], tf.string)

    def decode(record: Any) -> tuple[Any, Any]:
        ex = tf.io.parse_single_example(record, spec)
        data = ex[image_feature]
        name = ex[name_feature] if name_feature is not None else "(the file has no names)"
        # TensorFlow's decoder fails on a truncated image naming nothing; this names it.
        check = tf.debugging.Assert(
            _looks_complete(tf, data), ["incomplete JPEG image (truncated or damaged):", name]
        )
        with tf.control_dependencies([check]):
            image = tf.io.decode_jpeg(data, channels=3)
        return image, tf.cast(ex[label_feature], tf.float32)

    def finish(image: Any, labels: Any) -> tuple[Any, Any]:
        if image_size is not None:
            image = tf.image.resize(image, image_size, method="bilinear")
        else:
            image = tf.cast(image, tf.float32)
        if normalize == "unit":
            image = image / 255.0
        elif normalize == "xception":
            image = image / 127.5 - 1.0
        return image, labels

    return decode, finish


def _looks_complete(tf: Any, data: Any) -> Any:
    """In-graph: starts with the start-of-image marker and ends with end-of-image (or padding)."""
    tail = tf.strings.substr(data, tf.maximum(tf.strings.length(data) - 2, 0), 2)
    ends = tf.logical_or(tf.equal(tail, b"\xff\xd9"), tf.strings.substr(tail, 1, 1) == b"\x00")
    return tf.logical_and(tf.equal(tf.strings.substr(data, 0, 3), b"\xff\xd8\xff"), ends)


def _finish_pipeline(
    tf: Any,
    ds: Any,
    stages: tuple[Any, Any],
    *,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    shuffle_buffer: int,
    drop_remainder: bool,
    cache: bool = False,
    n_images: int = 0,
    known_count: int | None = None,
) -> Any:
    decode, finish = stages
    return assemble(
        tf, ds, decode, finish, cache=cache, n_images=n_images, batch_size=batch_size,
        shuffle=shuffle, seed=seed, shuffle_buffer=shuffle_buffer, drop_remainder=drop_remainder,
        known_count=known_count,
    )  # fmt: skip


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
    cache: CacheChoice = False,
) -> Any:
    """A ``tf.data.Dataset`` of ``(images, labels)`` for one split of a converted folder.

    Images are ``float32`` ``(batch, height, width, 3)``: raw pixel values in [0, 255] with
    ``normalize=None`` (for models that rescale inside, as the ones in this library do), in
    [0, 1] with ``"unit"``, in [-1, 1] with ``"xception"``. Labels are ``float32`` ``(batch, 40)``.
    Shards are read in file order (or interleaved in a seeded random order when shuffling),
    decoding and resizing run in parallel, and batches are prefetched. With ``cache``, the
    decoded images stay in memory after the first pass, so that later epochs only resize.

    Parameters
    ----------
    out_dir
        Folder written by [`convert`][multilabel_attr.datasets.celeba.convert].
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
    cache
        Keep the decoded images (``uint8``, stored size, before resizing, so the values are
        exactly the uncached ones) in memory after the first pass: ``True``, ``False``, or
        ``"auto"`` to cache when they take at most half of the memory available now (the
        paper's 40,000 training images: 4.7 GB). Cached, shards are read in file order and every
        epoch shuffles the whole subset, whatever ``shuffle_buffer``.

    Raises
    ------
    ValueError
        For an unknown split, a bad argument, or a ``limit`` above the split's size.
    ShardVerificationError
        (a ``ValueError``) If the manifest is inconsistent (what
        [`verify`][multilabel_attr.datasets.celeba.verify] would reject without reading the
        shards), or a shard to be read is missing or has another size than the manifest says,
        naming the shard. Records whose bytes were altered in place are found by ``verify``;
        while reading, an incomplete image fails with an error that names it.
    FileNotFoundError
        If ``out_dir`` has no manifest.
    """
    import tensorflow as tf

    if split not in SPLITS:
        raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
    _check_read_args(image_size, batch_size, normalize)
    check_cache(cache)
    manifest = read_manifest(out_dir)
    info = manifest["splits"][split]
    if limit is not None and (not isinstance(limit, int) or limit < 0 or limit > info["count"]):
        raise ValueError(
            f"limit: expected 0..{info['count']} (size of split {split!r}), got {limit!r}"
        )
    entries: list[dict[str, Any]] = []
    takes: list[int] = []
    remaining = info["count"] if limit is None else limit
    for entry in info["shards"]:
        if remaining <= 0:
            break
        entries.append(entry)
        takes.append(min(entry["records"], remaining))
        remaining -= takes[-1]
    if not entries:
        raise ValueError(f"split {split!r} of {out_dir} has no images to read (limit={limit})")
    problems = _shard_files_problems(Path(out_dir), entries)
    if problems:
        raise ShardVerificationError(out_dir, problems)
    files = [str(Path(out_dir) / entry["file"]) for entry in entries]
    sources = tf.data.Dataset.from_tensor_slices((files, tf.constant(takes, tf.int64)))
    record_shard = False
    if input_context is not None:
        pipelines = input_context.num_input_pipelines
        if len(files) >= pipelines:
            sources = sources.shard(pipelines, input_context.input_pipeline_id)
        else:
            record_shard = True
    cached = resolve_cache(tf, cache, files[0], "image", sum(takes))
    # A cache would freeze the first epoch's shard order; cached, the whole subset is shuffled.
    if shuffle and not cached:
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
    stages = _decoder(tf, "image", "labels", tf.int64, image_size, normalize, "filename")
    return _finish_pipeline(
        tf,
        ds,
        stages,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=shuffle_buffer,
        drop_remainder=drop_remainder,
        cache=cached,
        n_images=sum(takes),
        # Each pipeline of a distributed input reads an unknown share of the records.
        known_count=sum(takes) if input_context is None else None,
    )
