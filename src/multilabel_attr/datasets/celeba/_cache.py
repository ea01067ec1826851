"""Whether a decoded subset fits in memory, for the readers' ``cache`` option.

The readers cache images as decoded ``uint8`` pixels at their stored size, before resizing:
the cached pipeline then gives exactly the values of the uncached one (resizing a float
copy would not), and a CelebA image costs 218 x 178 x 3 = 116,412 bytes, so the paper's
40,000 training images take 4.7 GB.
"""

from __future__ import annotations

import os
from typing import Any, Literal, Union

CacheChoice = Union[bool, Literal["auto"]]  # noqa: UP007 (a runtime alias on Python 3.10)

#: Share of the memory available when a dataset is created that ``cache="auto"`` may use.
AUTO_CACHE_FRACTION = 0.5


def check_cache(value: Any) -> CacheChoice:
    """``value`` if it is ``True``, ``False`` or ``"auto"``, else a clear error."""
    if isinstance(value, bool) or value == "auto":
        result: CacheChoice = value
        return result
    raise ValueError(f"cache: expected True, False or 'auto', got {value!r}")


def decoded_bytes(n_images: int, height: int, width: int, channels: int = 3) -> int:
    """Bytes that ``n_images`` decoded ``uint8`` images of one size take in memory.

    Examples
    --------
    >>> decoded_bytes(40_000, 218, 178)
    4656480000
    """
    return int(n_images) * int(height) * int(width) * int(channels)


def available_memory() -> int | None:
    """Bytes of memory the system could give this process now, ``None`` if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def should_cache(cache: CacheChoice, estimate: int, available: int | None = None) -> bool:
    """Resolve ``cache``: ``"auto"`` caches when ``estimate`` bytes fit in the budget.

    The budget is ``AUTO_CACHE_FRACTION`` of ``available`` (default: the memory available
    now); when the available memory cannot be read, ``"auto"`` does not cache.

    Examples
    --------
    >>> should_cache("auto", 4_656_480_000, available=16 * 2**30)
    True
    >>> should_cache("auto", 4_656_480_000, available=8 * 2**30)
    False
    """
    if cache != "auto":
        return bool(cache)
    free = available_memory() if available is None else available
    return free is not None and estimate <= AUTO_CACHE_FRACTION * free


def resolve_cache(
    tf: Any, cache: CacheChoice, first_file: str, image_feature: str, n_images: int
) -> bool:
    """Whether a reader of ``n_images`` images from ``first_file``'s data set caches them."""
    if cache != "auto":
        return bool(cache)
    height, width, channels = stored_image_shape(tf, first_file, image_feature)
    return should_cache("auto", decoded_bytes(n_images, height, width, channels))


def stored_image_shape(tf: Any, first_record_file: str, image_feature: str) -> tuple[int, int, int]:
    """Height, width and channels (3) of the first image of a TFRecord file, from its header."""
    spec = {image_feature: tf.io.FixedLenFeature([], tf.string)}
    for record in tf.data.TFRecordDataset(first_record_file).take(1):
        blob = tf.io.parse_single_example(record, spec)[image_feature]
        height, width, _ = (int(v) for v in tf.io.extract_jpeg_shape(blob).numpy())
        return height, width, 3
    raise ValueError(f"{first_record_file} holds no records")


def assemble(
    tf: Any,
    records: Any,
    decode: Any,
    finish: Any,
    *,
    cache: bool,
    n_images: int,
    batch_size: int | None,
    shuffle: bool,
    seed: int | None,
    shuffle_buffer: int,
    drop_remainder: bool,
    known_count: int | None = None,
) -> Any:
    """Records to prefetched batches, decoding in parallel, with or without the memory cache.

    Uncached, the serialized records are shuffled (``shuffle_buffer``) and decoded every
    epoch. Cached, the first pass decodes into memory and every epoch shuffles the whole
    cached subset (the buffer holds references to the cached tensors, not copies), then resizes.
    ``known_count`` (the number of records, when a manifest vouches for it) is declared to
    tf.data, so that Keras knows the steps of an epoch from the first one on.
    """
    parallel = {"num_parallel_calls": tf.data.AUTOTUNE, "deterministic": True}
    if cache:
        ds = records.map(decode, **parallel).cache()
        if shuffle:
            ds = ds.shuffle(max(n_images, 1), seed=seed, reshuffle_each_iteration=True)
        ds = ds.map(finish, **parallel)
    else:
        if shuffle:
            records = records.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        ds = records.map(lambda record: finish(*decode(record)), **parallel)
    count = known_count
    if batch_size is not None:
        ds = ds.batch(batch_size, drop_remainder=drop_remainder)
        if count is not None:
            count = count // batch_size if drop_remainder else -(-count // batch_size)
    if count is not None:
        ds = ds.apply(tf.data.experimental.assert_cardinality(count))
    return ds.prefetch(tf.data.AUTOTUNE)
