"""Sharded TFRecords: conversion, verification, readers and the paper's legacy format."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import _celeba_fixtures
from multilabel_attr.datasets import celeba
from multilabel_attr.datasets.celeba import _convert, _framing

pytestmark = pytest.mark.tf
tf = pytest.importorskip("tensorflow")


# Module-scoped fixtures: a small synthetic CelebA and its conversion.
source = _celeba_fixtures.source
converted = _celeba_fixtures.converted


def _records(path: Path) -> list[dict[str, Any]]:
    spec = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "filename": tf.io.FixedLenFeature([], tf.string),
        "image_number": tf.io.FixedLenFeature([], tf.int64),
        "labels": tf.io.FixedLenFeature([40], tf.int64),
        "identity": tf.io.FixedLenFeature([], tf.int64),
    }
    return [tf.io.parse_single_example(r, spec) for r in tf.data.TFRecordDataset(str(path))]


def test_round_trip_keeps_labels_and_original_bytes(
    source: celeba.CelebAFiles, converted: Path
) -> None:
    ann = celeba.read_annotations(source)
    assert source.images is not None
    manifest = celeba.read_manifest(converted)
    assert manifest["attributes"] == list(celeba.ATTRIBUTES)
    assert {s: v["count"] for s, v in manifest["splits"].items()} == dict(
        zip(celeba.SPLITS, celeba.split_sizes(30), strict=False)
    )
    assert manifest["source"]["annotations_md5"].keys() == {
        "list_attr_celeba.txt",
        "list_eval_partition.txt",
        "identity_CelebA.txt",
    }
    assert celeba.verify(converted) == {
        "shards": 6,
        "records": 30,
        "bytes": sum(p.stat().st_size for p in converted.glob("*.tfrecord")),
    }
    for k, split in enumerate(celeba.SPLITS):
        rows = ann.split(split)
        shards = manifest["splits"][split]["shards"]
        assert [s["file"] for s in shards] == [celeba.shard_name(split, i, 2) for i in range(2)]
        got = [r for s in shards for r in _records(converted / s["file"])]
        assert [r["filename"].numpy().decode() for r in got] == [ann.filenames[i] for i in rows]
        assert ann.identities is not None
        for r, i in zip(got, rows, strict=False):
            name = ann.filenames[i]
            assert r["image"].numpy() == (source.images / name).read_bytes()
            assert r["labels"].numpy().tolist() == ann.labels[i].tolist()
            assert int(r["image_number"]) == int(name[:6])
            assert int(r["identity"]) == int(ann.identities[i])
        assert manifest["splits"][split]["positives"] == ann.labels[rows].sum(0).tolist()
        del k
    assert not list(converted.glob(".*"))  # no temporary or progress files left


def test_load_yields_float_batches_in_file_order(
    source: celeba.CelebAFiles, converted: Path
) -> None:
    ann = celeba.read_annotations(source)
    rows = ann.split("train")
    ds = celeba.load(converted, "train", image_size=(40, 32), batch_size=7)
    batches = list(ds)
    images = np.concatenate([b[0].numpy() for b in batches])
    labels = np.concatenate([b[1].numpy() for b in batches])
    assert batches[0][0].dtype == tf.float32
    assert batches[0][1].dtype == tf.float32
    assert images.shape == (len(rows), 40, 32, 3)
    assert labels.shape == (len(rows), 40)
    assert np.array_equal(labels, ann.labels[rows].astype(np.float32))
    assert images.min() >= 0
    assert images.max() > 1.5
    assert source.images is not None
    first = tf.io.decode_jpeg((source.images / ann.filenames[rows[0]]).read_bytes(), channels=3)
    expect = tf.image.resize(first, (40, 32), method="bilinear").numpy()
    np.testing.assert_allclose(images[0], expect, atol=1e-4)

    unit = next(
        iter(celeba.load(converted, "train", image_size=(40, 32), batch_size=7, normalize="unit"))
    )[0].numpy()
    xcp = next(
        iter(
            celeba.load(converted, "train", image_size=(40, 32), batch_size=7, normalize="xception")
        )
    )[0].numpy()
    np.testing.assert_allclose(unit, images[:7] / 255.0, atol=1e-5)
    np.testing.assert_allclose(xcp, images[:7] / 127.5 - 1.0, atol=1e-5)
    full = next(iter(celeba.load(converted, "test", image_size=None, batch_size=None)))[0]
    assert full.shape == (218, 178, 3)


def test_limit_and_shuffle(source: celeba.CelebAFiles, converted: Path) -> None:
    ann = celeba.read_annotations(source)
    rows = ann.split("train")
    # 24 train images in 2 shards of 12: a limit of 15 crosses into the second shard.
    first = np.concatenate(
        [
            y.numpy()
            for _, y in celeba.load(converted, "train", limit=15, image_size=(8, 8), batch_size=4)
        ]
    )
    assert np.array_equal(first, ann.labels[rows[:15]])
    runs = [
        np.concatenate(
            [
                y.numpy()
                for _, y in celeba.load(
                    converted,
                    "train",
                    limit=15,
                    image_size=(8, 8),
                    batch_size=4,
                    shuffle=True,
                    seed=3,
                )
            ]
        )
        for _ in range(2)
    ]
    assert np.array_equal(runs[0], runs[1])
    key = [r.tobytes() for r in first]
    assert sorted(r.tobytes() for r in runs[0]) == sorted(key)
    with pytest.raises(ValueError, match=r"limit: expected 0\.\.24"):
        celeba.load(converted, "train", limit=25)
    with pytest.raises(ValueError, match="split: expected one of"):
        celeba.load(converted, "dev")
    with pytest.raises(ValueError, match="normalize: expected None"):
        celeba.load(converted, "train", normalize="imagenet")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="image_size: expected"):
        celeba.load(converted, "train", image_size=(0, 4))


def test_distribution_input_sharding(converted: Path) -> None:
    ctx = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=1)
    ids = np.concatenate(
        [
            y.numpy()
            for _, y in celeba.load(
                converted, "train", image_size=(8, 8), batch_size=4, input_context=ctx
            )
        ]
    )
    all_ = np.concatenate(
        [y.numpy() for _, y in celeba.load(converted, "train", image_size=(8, 8), batch_size=4)]
    )
    assert np.array_equal(ids, all_[12:])  # pipeline 1 reads shard 1 of 2
    ctx3 = tf.distribute.InputContext(num_input_pipelines=3, input_pipeline_id=0)
    rec = np.concatenate(
        [
            y.numpy()
            for _, y in celeba.load(
                converted, "train", image_size=(8, 8), batch_size=4, input_context=ctx3
            )
        ]
    )
    assert np.array_equal(rec, all_[::3])  # fewer shards than pipelines: records are split
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    dist = strategy.experimental_distribute_dataset(
        celeba.load(converted, "train", image_size=(8, 8), batch_size=4)
    )
    x, _ = next(iter(dist))
    assert x.shape == (4, 8, 8, 3)


def test_interrupted_conversion_resumes_to_identical_output(
    source: celeba.CelebAFiles, converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = _convert._write_shard
    calls: list[str] = []

    def failing(task: Any) -> dict[str, Any]:
        if len(calls) == 3:
            raise KeyboardInterrupt("interrupted")
        calls.append(task.name)
        return real_write(task)

    monkeypatch.setattr(_convert, "_write_shard", failing)
    with pytest.raises(KeyboardInterrupt):
        celeba.convert(source.root, tmp_path, shards=2, workers=0, progress=False)
    assert not (tmp_path / celeba.MANIFEST).exists()
    written = {name: (tmp_path / name).stat().st_mtime_ns for name in calls}
    with pytest.raises(FileNotFoundError, match=r"no manifest\.json"):
        celeba.verify(tmp_path)

    rerun: list[str] = []
    monkeypatch.setattr(
        _convert, "_write_shard", lambda task: (rerun.append(task.name), real_write(task))[1]
    )
    manifest = celeba.convert(source.root, tmp_path, shards=2, workers=0, progress=False)
    assert len(rerun) == 3
    assert not set(rerun) & set(calls)
    assert {n: (tmp_path / n).stat().st_mtime_ns for n in calls} == written
    assert manifest == celeba.read_manifest(converted)
    assert (tmp_path / celeba.MANIFEST).read_bytes() == (converted / celeba.MANIFEST).read_bytes()
    for shard in converted.glob("*.tfrecord"):
        assert (tmp_path / shard.name).read_bytes() == shard.read_bytes()
    # A complete folder is not rewritten; a damaged shard is.
    rerun.clear()
    celeba.convert(source.root, tmp_path, shards=2, workers=0, progress=False)
    assert rerun == []
    victim = tmp_path / calls[0]
    victim.write_bytes(victim.read_bytes()[:-1])
    celeba.convert(source.root, tmp_path, shards=2, workers=0, progress=False)
    assert rerun == [calls[0]]
    celeba.verify(tmp_path)


def _copy(converted: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(converted, out)
    return out


def _shard(out: Path, split: str = "train") -> tuple[Path, list[tuple[int, int]]]:
    path = out / celeba.read_manifest(out)["splits"][split]["shards"][1]["file"]
    frames = [f for f in _framing._scan_framing(path) if not isinstance(f, str)]
    return path, frames  # type: ignore[return-value]


def test_verify_names_a_flipped_byte(converted: Path, tmp_path: Path) -> None:
    out = _copy(converted, tmp_path)
    path, frames = _shard(out)
    offset, length = frames[5]
    data = bytearray(path.read_bytes())
    data[offset + 12 + length // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(celeba.ShardVerificationError) as info:
        celeba.verify(out)
    assert info.value.problems == [
        f"{path.name}: record 5 at byte {offset}: data checksum mismatch (corrupt record)"
    ]


def test_verify_names_a_corrupt_length_field(converted: Path, tmp_path: Path) -> None:
    out = _copy(converted, tmp_path)
    path, frames = _shard(out)
    data = bytearray(path.read_bytes())
    data[frames[3][0] + 1] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(
        celeba.ShardVerificationError,
        match=rf"{path.name}: record 3 at byte "
        rf"{frames[3][0]}: corrupt length field",
    ):
        celeba.verify(out)


def test_verify_names_truncation_and_missing_shards(converted: Path, tmp_path: Path) -> None:
    out = _copy(converted, tmp_path)
    path, frames = _shard(out)
    path.write_bytes(path.read_bytes()[: frames[7][0] + 40])
    test_shard = out / celeba.shard_name("test", 0, 2)
    test_shard.unlink()
    with pytest.raises(celeba.ShardVerificationError) as info:
        celeba.verify(out)
    problems = info.value.problems
    assert problems[0].startswith(f"{path.name}: record 7 at byte {frames[7][0]}: truncated")
    assert f"{test_shard.name}: missing" in problems
    assert any("bytes, manifest says" in p for p in problems)


def test_missing_and_non_jpeg_images(tmp_path: Path) -> None:
    files = celeba.make_synthetic(tmp_path / "src", 8, seed=1, layout="flat", workers=0)
    assert files.images is not None
    (files.images / "000003.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 image\(s\) .* not found: .*000003\.jpg"):
        celeba.convert(files.root, tmp_path / "out", workers=0, progress=False)
    manifest = celeba.convert(
        files.root, tmp_path / "out", workers=0, on_missing="skip", progress=False
    )
    assert manifest["skipped"] == ["000003.jpg"]
    assert manifest["splits"]["train"]["count"] == celeba.split_sizes(8)[0] - 1
    celeba.verify(tmp_path / "out")
    (files.images / "000003.jpg").write_bytes(b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(ValueError, match=r"000003\.jpg: not a JPEG file"):
        celeba.convert(files.root, tmp_path / "out2", workers=0, progress=False)
    with pytest.raises(ValueError, match="on_missing: expected"):
        celeba.convert(files.root, tmp_path / "out3", on_missing="ignore")  # type: ignore[arg-type]


def test_legacy_reader_matches_sharded_reader(
    source: celeba.CelebAFiles, converted: Path, tmp_path: Path
) -> None:
    legacy = tmp_path / "celeba.tfrecord"
    assert celeba.write_legacy(legacy, source.root, reencode=False) == 30
    ann = celeba.read_annotations(source)
    start, stop = int(ann.split("test")[0]), 30
    kw: dict[str, Any] = {"image_size": (24, 20), "batch_size": 4}
    old = list(celeba.load_legacy(legacy, start, stop, **kw))
    new = list(celeba.load(converted, "test", **kw))
    assert len(old) == len(new)
    for (xo, yo), (xn, yn) in zip(old, new, strict=False):
        assert xo.dtype == xn.dtype == tf.float32
        assert yo.dtype == yn.dtype == tf.float32
        np.testing.assert_array_equal(xo.numpy(), xn.numpy())
        np.testing.assert_array_equal(yo.numpy(), yn.numpy())
    assert len(list(celeba.load_legacy(legacy, 28, 99, batch_size=None, image_size=None))) == 2
    with pytest.raises(ValueError, match="start, stop: expected 0 <= start <= stop"):
        celeba.load_legacy(legacy, 5, 2)

    out = tmp_path / "from_legacy"
    manifest = celeba.convert_legacy(legacy, out, shards=2, progress=False)
    assert {s: v["count"] for s, v in manifest["splits"].items()} == dict(
        zip(celeba.SPLITS, celeba.split_sizes(30), strict=False)
    )
    celeba.verify(out)
    again = list(celeba.load(out, "test", **kw))
    for (xa, ya), (xn, yn) in zip(again, new, strict=False):
        np.testing.assert_array_equal(xa.numpy(), xn.numpy())
        np.testing.assert_array_equal(ya.numpy(), yn.numpy())


def test_legacy_writer_reencodes_and_skips_missing_images(tmp_path: Path) -> None:
    files = celeba.make_synthetic(tmp_path / "src", 6, seed=2, layout="flat", workers=0)
    assert files.images is not None
    (files.images / "000002.jpg").unlink()
    legacy = tmp_path / "paper.tfrecord"
    assert celeba.write_legacy(legacy, files.root) == 5
    spec = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "features": tf.io.FixedLenFeature([40], tf.float32),
    }
    recs = [tf.io.parse_single_example(r, spec) for r in tf.data.TFRecordDataset(str(legacy))]
    original = (files.images / "000001.jpg").read_bytes()
    assert recs[0]["image"].numpy() != original  # lossy re-encoding, as in the paper
    _, labels = celeba.read_attributes(files.attributes)
    assert recs[1]["features"].numpy().tolist() == labels[2].astype(float).tolist()  # shifted


def test_statistics_from_manifest(source: celeba.CelebAFiles, converted: Path) -> None:
    a = celeba.label_statistics(converted)
    b = celeba.label_statistics(source.root)
    assert a.counts == b.counts
    for split in a.counts:
        assert np.array_equal(a.positives[split], b.positives[split])


def test_manifest_is_plain_json(converted: Path) -> None:
    text = (converted / celeba.MANIFEST).read_text()
    data = json.loads(text)
    assert data["schema_version"] == celeba.SCHEMA_VERSION
    assert str(converted) not in text


@pytest.mark.slow
def test_parallel_workers_give_identical_output(
    source: celeba.CelebAFiles, converted: Path, tmp_path: Path
) -> None:
    celeba.convert(source.root, tmp_path, shards=2, workers=2, progress=False)
    assert (tmp_path / celeba.MANIFEST).read_bytes() == (converted / celeba.MANIFEST).read_bytes()


@pytest.mark.tf
@pytest.mark.parametrize("identity", [None, 1, 127, 128, 10177])
@pytest.mark.parametrize("number", [1, 127, 128, 202599])
def test_hand_encoded_example_parses_with_tensorflow(identity: int | None, number: int) -> None:
    tf = pytest.importorskip("tensorflow")
    from multilabel_attr.datasets.celeba._framing import _example_bytes

    rng = np.random.default_rng(number)
    image = rng.integers(0, 256, 3000).astype(np.uint8).tobytes()
    labels = rng.integers(0, 2, 40).astype(np.uint8)
    data = _example_bytes(image, "000007.jpg", number, labels.tobytes(), identity)
    feature = tf.train.Example.FromString(data).features.feature
    assert feature["image"].bytes_list.value == [image]
    assert feature["filename"].bytes_list.value == [b"000007.jpg"]
    assert list(feature["labels"].int64_list.value) == labels.tolist()
    assert list(feature["image_number"].int64_list.value) == [number]
    if identity is None:
        assert "identity" not in feature
    else:
        assert list(feature["identity"].int64_list.value) == [identity]


def test_crc32c_fallback_matches_the_c_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("google_crc32c")
    data = [b"", b"a", b"123456789", bytes(range(256)) * 3]
    fast = [_framing._crc32c(d) for d in data]
    assert fast[2] == 0xE3069283  # the CRC-32C check value of "123456789"
    monkeypatch.setitem(__import__("sys").modules, "google_crc32c", None)
    assert [_framing._crc32c(d) for d in data] == fast


@pytest.mark.parametrize(
    ("limit", "batch_size", "drop_remainder", "shuffle", "cache"),
    [(None, 7, False, False, False), (10, 3, True, True, False), (10, None, False, True, True)],
)
def test_load_declares_its_number_of_batches(
    converted: Path,
    limit: int | None,
    batch_size: int | None,
    drop_remainder: bool,
    shuffle: bool,
    cache: bool,
) -> None:
    # Keras shows "Unknown" steps and warns that the input ran out without it.
    ds = celeba.load(
        converted, "train", image_size=(8, 8), batch_size=batch_size, limit=limit,
        drop_remainder=drop_remainder, shuffle=shuffle, seed=0, cache=cache,
    )  # fmt: skip
    declared = int(ds.cardinality())
    assert declared > 0
    assert declared == sum(1 for _ in ds)


def test_rerun_of_a_finished_conversion_draws_no_progress_bar(
    source: celeba.CelebAFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    celeba.convert(source.root, tmp_path, shards=2, workers=0, progress=True)
    assert "img" in capsys.readouterr().err
    celeba.convert(source.root, tmp_path, shards=2, workers=0, progress=True)
    assert capsys.readouterr().err == ""
