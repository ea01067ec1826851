"""Converted folders never give wrong data silently: locking, manifests, images, leftovers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import _celeba_fixtures
from multilabel_attr.datasets import celeba
from multilabel_attr.datasets.celeba import _convert, _framing

fcntl = pytest.importorskip("fcntl")


# Module-scoped fixtures: a small synthetic CelebA and its conversion.
source = _celeba_fixtures.source
converted = _celeba_fixtures.converted


def _copy(converted: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(converted, out)
    return out


def _edit_manifest(out: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((out / celeba.MANIFEST).read_text())
    edit(manifest)
    (out / celeba.MANIFEST).write_text(json.dumps(manifest, indent=2))


def _names(out: Path, split: str) -> list[str]:
    tf = pytest.importorskip("tensorflow")
    spec = {"filename": tf.io.FixedLenFeature([], tf.string)}
    manifest = celeba.read_manifest(out)
    return [
        tf.io.parse_single_example(r, spec)["filename"].numpy().decode()
        for s in manifest["splits"][split]["shards"]
        for r in tf.data.TFRecordDataset(str(out / s["file"]))
    ]


# -- one writer at a time ---------------------------------------------------------------------


def test_a_second_writer_is_refused_and_a_killed_one_does_not_block(
    source: celeba.CelebAFiles, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # Another process converting into the folder, represented by the lock it holds.
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(120)\n",
            str(out / ".convert.lock"),
        ],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RuntimeError, match=r"being written by another process"):
            celeba.convert(source.root, out, shards=2, workers=0, progress=False)
        assert not list(out.glob("*.tfrecord"))
    finally:
        holder.kill()  # SIGKILL: the lock goes with the process
        holder.wait()
    celeba.convert(source.root, out, shards=2, workers=0, progress=False)
    celeba.verify(out)
    assert not list(out.glob(".*"))  # the lock file is gone too


# -- the manifest vouches for exactly the shards there ---------------------------------------


@pytest.mark.tf
def test_a_killed_reconvert_never_lets_load_mix_old_and_new_records(
    converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _copy(converted, tmp_path)
    other = celeba.make_synthetic(tmp_path / "other", 30, seed=12, workers=0)
    real_write = _convert._write_shard
    written: list[str] = []

    def killed_after_one(task: Any) -> dict[str, Any]:
        if written:
            raise KeyboardInterrupt
        written.append(task.name)
        return real_write(task)

    monkeypatch.setattr(_convert, "_write_shard", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        celeba.convert(other.root, out, shards=2, workers=0, progress=False)
    with pytest.raises(FileNotFoundError, match=r"no manifest\.json"):
        celeba.load(out, "train", batch_size=None)
    monkeypatch.setattr(_convert, "_write_shard", real_write)
    celeba.convert(other.root, out, shards=2, workers=0, progress=False)
    ann = celeba.read_annotations(other)
    assert _names(out, "train") == [ann.filenames[i] for i in ann.split("train")]
    celeba.verify(out)


def _set_count(m: dict[str, Any]) -> None:
    m["splits"]["train"]["count"] += 1


def _drop_split(m: dict[str, Any]) -> None:
    del m["splits"]["test"]


def _reverse_attributes(m: dict[str, Any]) -> None:
    m["attributes"].reverse()


def _fewer_records(m: dict[str, Any]) -> None:
    m["splits"]["train"]["shards"][0]["records"] -= 1


def _fewer_records_and_count(m: dict[str, Any]) -> None:
    m["splits"]["train"]["shards"][0]["records"] -= 1
    m["splits"]["train"]["count"] -= 1
    m["splits"]["train"]["positives"] = [0] * 40


def _path_outside(m: dict[str, Any]) -> None:
    entry = m["splits"]["train"]["shards"][0]
    entry["file"] = "../elsewhere/" + entry["file"]


def _drop_shard(m: dict[str, Any]) -> None:
    shards = m["splits"]["validation"]["shards"]
    m["splits"]["validation"]["count"] -= shards[-1]["records"]
    del shards[-1]


def _rename_first(m: dict[str, Any]) -> None:
    m["splits"]["train"]["shards"][1]["first"] = "000001.jpg"


@pytest.mark.parametrize(
    ("edit", "match", "load_refuses"),
    [
        (_set_count, r"split 'train': 'count' is 25, but its shards hold 24 records", True),
        (_drop_split, r"'splits': expected the splits", True),
        (_reverse_attributes, r"'attributes' is not the list", True),
        (_fewer_records, r"'count' is 24, but its shards hold 23 records", True),
        (_fewer_records_and_count, r"celeba-train-00000-of-00002\.tfrecord: 12 records, "
         r"manifest says 11", False),
        (_path_outside, r"shard 0: expected file 'celeba-train-00000-of-00002\.tfrecord', got "
         r"'\.\./elsewhere/", True),
        (_drop_shard, r"split 'validation': shard 0: expected file "
         r"'celeba-validation-00000-of-00001\.tfrecord'", True),
        (_rename_first, r"first and last images are '000013\.jpg' and '000024\.jpg', manifest "
         r"says '000001\.jpg'", False),
    ],
)  # fmt: skip
def test_verify_checks_the_manifest_against_the_shards_and_load_refuses_it(
    converted: Path,
    tmp_path: Path,
    edit: Callable[[dict[str, Any]], None],
    match: str,
    load_refuses: bool,
) -> None:
    out = _copy(converted, tmp_path)
    _edit_manifest(out, edit)
    with pytest.raises(celeba.ShardVerificationError, match=match):
        celeba.verify(out)
    if load_refuses:  # what verify finds without reading a shard, load refuses too
        pytest.importorskip("tensorflow")
        with pytest.raises(celeba.ShardVerificationError, match=match):
            celeba.load(out, "validation", batch_size=None)


@pytest.mark.tf
def test_load_names_a_shard_that_differs_from_the_manifest(
    converted: Path, tmp_path: Path
) -> None:
    out = _copy(converted, tmp_path)
    shard = out / celeba.shard_name("train", 1, 2)
    shard.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(celeba.ShardVerificationError, match=rf"{shard.name}: \d+ bytes, manifest"):
        celeba.load(out, "train")
    celeba.load(out, "train", limit=5)  # the first shard alone is intact
    (out / celeba.shard_name("test", 0, 2)).unlink()
    with pytest.raises(celeba.ShardVerificationError, match=r"celeba-test-00000-of-00002.*missing"):
        celeba.load(out, "test")


def test_read_manifest_rejects_a_broken_file(converted: Path, tmp_path: Path) -> None:
    out = _copy(converted, tmp_path)
    (out / celeba.MANIFEST).write_text("[1, 2")
    with pytest.raises(ValueError, match=r"not valid JSON"):
        celeba.read_manifest(out)
    (out / celeba.MANIFEST).write_text("[]")
    with pytest.raises(ValueError, match=r"unsupported schema version"):
        celeba.read_manifest(out)


# -- images are complete ----------------------------------------------------------------------


def test_convert_names_a_truncated_image(tmp_path: Path) -> None:
    files = celeba.make_synthetic(tmp_path / "src", 8, seed=1, layout="flat", workers=0)
    assert files.images is not None
    victim = files.images / "000005.jpg"
    victim.write_bytes(victim.read_bytes()[:-700])
    with pytest.raises(ValueError, match=r"000005\.jpg: truncated JPEG"):
        celeba.convert(files.root, tmp_path / "out", workers=0, progress=False)
    with pytest.raises(ValueError, match=r"000005\.jpg: truncated JPEG"):
        celeba.convert(
            files.root, tmp_path / "out", workers=0, check_images="decode", progress=False
        )
    with pytest.raises(ValueError, match=r"check_images"):
        celeba.convert(files.root, tmp_path / "out", check_images="full")  # type: ignore[arg-type]


def test_decode_check_finds_damage_that_the_markers_do_not(tmp_path: Path) -> None:
    files = celeba.make_synthetic(tmp_path / "src", 8, seed=1, layout="flat", workers=0)
    assert files.images is not None
    victim = files.images / "000002.jpg"
    data = bytearray(victim.read_bytes())
    # The scan header names a colour component that the frame does not have.
    data[data.index(b"\xff\xda") + 5] = 0x09
    victim.write_bytes(bytes(data))
    celeba.convert(files.root, tmp_path / "header", workers=0, progress=False)
    with pytest.raises(ValueError, match=r"000002\.jpg: undecodable JPEG"):
        celeba.convert(
            files.root, tmp_path / "decode", workers=0, check_images="decode", progress=False
        )


def _shard_with_truncated_image(converted: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy whose first train shard holds a truncated image, with a manifest to match."""
    out = _copy(converted, tmp_path)
    shard = out / celeba.shard_name("train", 0, 2)
    records = [r[1] for r in _framing._records(shard) if not isinstance(r, str)]
    features = _framing._bytes_features(records[2])
    name = features["filename"].decode()
    image = features["image"][:-500]
    broken = _framing._example_bytes(image, name, int(name[:6]), bytes(40), None)
    with _framing._RecordWriter(shard) as writer:
        for i, record in enumerate(records):
            writer.write(broken if i == 2 else record)

    def fix(m: dict[str, Any]) -> None:
        entry = m["splits"]["train"]["shards"][0]
        entry.update(bytes=writer.size, sha256=writer.sha256.hexdigest())

    _edit_manifest(out, fix)
    return out, name


def test_verify_names_a_truncated_image_inside_a_shard(converted: Path, tmp_path: Path) -> None:
    out, name = _shard_with_truncated_image(converted, tmp_path)
    with pytest.raises(celeba.ShardVerificationError) as info:
        celeba.verify(out)
    assert info.value.problems == [
        f"celeba-train-00000-of-00002.tfrecord: record 2 ({name}): truncated JPEG (it does not "
        "end with the end-of-image marker)"
    ]


@pytest.mark.tf
def test_load_names_a_truncated_image(converted: Path, tmp_path: Path) -> None:
    tf = pytest.importorskip("tensorflow")
    out, name = _shard_with_truncated_image(converted, tmp_path)
    with pytest.raises(tf.errors.InvalidArgumentError, match=rf"incomplete JPEG.*{name}"):
        for _ in celeba.load(out, "train", batch_size=4):
            pass


# -- nothing left behind ----------------------------------------------------------------------


def test_convert_removes_leftovers_and_orphan_shards(
    source: celeba.CelebAFiles, converted: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    celeba.convert(source.root, out, shards=3, workers=0, progress=False)
    # What kills at various moments leave: temporary shards, manifests and progress files.
    for name in (
        ".celeba-train-00000-of-00003.tfrecord.k2j3h4.tmp",
        ".celeba-train-00000-of-00003.tfrecord.tmp",
        ".celeba-test-00001-of-00003.tfrecord.done.json",
        "..celeba-test-00001-of-00003.tfrecord.done.json.x8d7e6.tmp",
        ".manifest.json.a1b2c3.tmp",
    ):
        (out / name).write_bytes(b"partial")
    celeba.convert(source.root, out, shards=2, workers=0, progress=False)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in converted.iterdir())
    for shard in converted.glob("*.tfrecord"):
        assert (out / shard.name).read_bytes() == shard.read_bytes()
    assert celeba.verify(out)["shards"] == 6

    shutil.copy(out / celeba.shard_name("test", 0, 2), out / celeba.shard_name("test", 0, 5))
    with pytest.raises(celeba.ShardVerificationError, match=r"00000-of-00005\.tfrecord: orphan"):
        celeba.verify(out)
