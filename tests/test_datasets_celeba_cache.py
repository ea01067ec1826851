"""The readers' in-memory cache: memory estimate, decision, and values equal to uncached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from multilabel_attr.datasets import celeba
from multilabel_attr.datasets.celeba import _cache, _readers

tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.tf


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = celeba.make_synthetic(tmp_path_factory.mktemp("src"), 40, seed=5, workers=0)
    out = tmp_path_factory.mktemp("records")
    celeba.convert(source.root, out, shards=2, workers=0, progress=False)
    return out


def test_cache_choice_is_validated() -> None:
    for good in (True, False, "auto"):
        assert _cache.check_cache(good) == good
    for bad in ("yes", None, 1, "on"):
        with pytest.raises(ValueError, match="cache: expected True, False or 'auto'"):
            _cache.check_cache(bad)


def test_auto_caches_only_what_fits_in_half_the_available_memory() -> None:
    paper = _cache.decoded_bytes(40_000, 218, 178)
    assert paper == 40_000 * 116_412
    assert _cache.should_cache("auto", paper, available=2 * paper)
    assert not _cache.should_cache("auto", paper, available=2 * paper - 1)
    assert _cache.should_cache(True, paper, available=1)
    assert not _cache.should_cache(False, 1, available=2**40)
    free = _cache.available_memory()
    assert free is None or free > 0


def test_stored_image_shape_reads_the_jpeg_header(converted: Path) -> None:
    first = sorted(converted.glob("*-train-*.tfrecord"))[0]
    assert _cache.stored_image_shape(tf, str(first), "image") == (218, 178, 3)


def pipeline(converted: Path, *, cache: bool, shuffle: bool, batch: int | None = 8) -> Any:
    files = sorted(str(p) for p in converted.glob("*-train-*.tfrecord"))
    n = int(celeba.read_manifest(converted)["splits"]["train"]["count"])
    decode, finish = _readers._decoder(tf, "image", "labels", tf.int64, (24, 20), "unit")
    return _cache.assemble(
        tf, tf.data.TFRecordDataset(files), decode, finish, cache=cache, n_images=n,
        batch_size=batch, shuffle=shuffle, seed=3, shuffle_buffer=16, drop_remainder=False,
    )  # fmt: skip


def arrays(ds: Any) -> tuple[np.ndarray, np.ndarray]:
    images, labels = zip(*((x.numpy(), y.numpy()) for x, y in ds), strict=True)
    join = np.concatenate if images[0].ndim == 4 else np.stack  # batched or single images
    return join(images), join(labels)


def test_cached_pipeline_gives_exactly_the_uncached_values(converted: Path) -> None:
    plain = arrays(pipeline(converted, cache=False, shuffle=False))
    cached = pipeline(converted, cache=True, shuffle=False)
    for _ in range(2):  # the pass that fills the cache and one read from it
        images, labels = arrays(cached)
        assert images.dtype == np.float32 and images.shape[1:] == (24, 20, 3)
        np.testing.assert_array_equal(images, plain[0])
        np.testing.assert_array_equal(labels, plain[1])


def test_cached_shuffle_permutes_the_whole_subset_every_epoch(converted: Path) -> None:
    plain_images, _ = arrays(pipeline(converted, cache=False, shuffle=False, batch=None))
    ds = pipeline(converted, cache=True, shuffle=True, batch=None)
    assert plain_images.shape[1:] == (24, 20, 3)
    key = {img.tobytes(): i for i, img in enumerate(plain_images)}
    assert len(key) == len(plain_images)
    orders = [[key[img.tobytes()] for img in arrays(ds)[0]] for _ in range(2)]
    for order in orders:
        assert sorted(order) == list(range(len(plain_images)))
    assert orders[0] != orders[1]
    assert orders[0] != sorted(orders[0])


def test_auto_resolves_from_the_stored_image_size(converted: Path) -> None:
    first = str(sorted(converted.glob("*-train-*.tfrecord"))[0])
    assert _cache.resolve_cache(tf, "auto", first, "image", 40)
    assert not _cache.resolve_cache(tf, "auto", first, "image", 10**9)  # 116 TB
    assert _cache.resolve_cache(tf, True, "never-opened", "image", 10**9)


@pytest.mark.parametrize("cache", [True, "auto"])
def test_load_with_cache_equals_load_without(converted: Path, cache: Any) -> None:
    kwargs = {"image_size": (30, 26), "batch_size": 8, "limit": 25}
    plain = arrays(celeba.load(converted, "train", **kwargs))
    cached = celeba.load(converted, "train", cache=cache, **kwargs)
    for _ in range(2):
        images, labels = arrays(cached)
        np.testing.assert_array_equal(images, plain[0])
        np.testing.assert_array_equal(labels, plain[1])
    shuffled = arrays(celeba.load(converted, "train", cache=cache, shuffle=True, seed=1, **kwargs))
    order = np.lexsort(shuffled[0].reshape(len(shuffled[0]), -1).T)
    expected = np.lexsort(plain[0].reshape(len(plain[0]), -1).T)
    np.testing.assert_array_equal(shuffled[0][order], plain[0][expected])


def test_load_legacy_with_cache_equals_load_legacy(tmp_path: Path) -> None:
    source = celeba.make_synthetic(tmp_path / "src", 12, seed=2, workers=0)
    path = tmp_path / "legacy.tfrecord"
    celeba.write_legacy(path, source, reencode=False)
    plain = arrays(celeba.load_legacy(path, 2, 10, image_size=(20, 20), batch_size=4))
    cached = arrays(celeba.load_legacy(path, 2, 10, image_size=(20, 20), batch_size=4, cache=True))
    np.testing.assert_array_equal(cached[0], plain[0])
    np.testing.assert_array_equal(cached[1], plain[1])


def test_load_rejects_a_bad_cache_value(converted: Path) -> None:
    with pytest.raises(ValueError, match="cache: expected True, False or 'auto', got 'yes'"):
        celeba.load(converted, "train", cache="yes")  # type: ignore[arg-type]
