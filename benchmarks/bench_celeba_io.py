"""CelebA I/O: sharded TFRecords against the paper's single-file pipeline, on synthetic CelebA.

Measured in one run on the same data:

1. conversion images/s: ``convert`` (original JPEG bytes, parallel shard writers) against the
   paper's method (Pillow open + JPEG re-encode, one writer, one file);
2. time to the first test batch and to one pass over the test split: ``load`` against the
   paper's pipeline (``enumerate().filter()`` over the single file, unparallel map);
3. ``load`` images/s against a bare decode+resize loop over the same JPEG bytes.

Usage: ``python benchmarks/bench_celeba_io.py --images 20000 [--workdir DIR] [--workers N]``
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from multilabel_attr.datasets import celeba


def _paper_pipeline(tf: Any, path: Path, start: int, stop: int, batch: int) -> Any:
    """The original notebooks' reader: enumerate the one file and filter by index."""
    spec = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "features": tf.io.FixedLenFeature([40], tf.float32),
    }

    def parse(record: Any) -> Any:
        ex = tf.io.parse_single_example(record, spec)
        image = tf.image.resize(tf.io.decode_jpeg(ex["image"], channels=3), (150, 150))
        return image / 255.0, ex["features"]

    def in_range(i: Any, record: Any) -> Any:
        return tf.logical_and(i >= start, i < stop)

    def drop_index(i: Any, record: Any) -> Any:
        return record

    ds = tf.data.TFRecordDataset(str(path)).enumerate().filter(in_range).map(drop_index)
    return ds.map(parse).batch(batch).prefetch(1)


def _warm_page_cache(folder: Path) -> None:
    """Read every image once, so that both conversions read from memory, not from disk.

    Without this the first conversion pays for the cold cache and the comparison measures
    the disk, not the converters.
    """
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass


def _time_first_and_pass(ds: Any) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    it = iter(ds)
    first = next(it)
    t_first = time.perf_counter() - t0
    n = int(first[0].shape[0])
    for x, _ in it:
        n += int(x.shape[0])
    return t_first, time.perf_counter() - t0, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000, help="synthetic images")
    parser.add_argument("--workdir", type=Path, default=None, help="kept if given")
    parser.add_argument("--workers", type=int, default=None, help="writer/drawing processes")
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()

    import tensorflow as tf

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_celeba_"))
    src = work / "celeba"
    try:
        t0 = time.perf_counter()
        if not (work / "celeba" / "Anno" / "list_attr_celeba.txt").is_file():
            celeba.make_synthetic(src, args.images, seed=0, workers=args.workers, progress=True)
        print(f"synthetic set: {args.images} images ({time.perf_counter() - t0:.1f} s)")
        n = args.images

        out = work / "shards"
        shutil.rmtree(out, ignore_errors=True)
        images_folder = celeba.find_files(src).images
        assert images_folder is not None
        _warm_page_cache(images_folder)
        t0 = time.perf_counter()
        celeba.convert(src, out, workers=args.workers, progress=False)
        t_ours = time.perf_counter() - t0
        legacy = work / "paper.tfrecord"
        _warm_page_cache(images_folder)
        t0 = time.perf_counter()
        celeba.write_legacy(legacy, src, reencode=True)
        t_paper = time.perf_counter() - t0
        print("\n1. conversion (both from a warm page cache)")
        print(f"   paper (PIL re-encode, one writer): {n / t_paper:9.0f} img/s  ({t_paper:.1f} s)")
        print(f"   ours  (sharded, original bytes):   {n / t_ours:9.0f} img/s  ({t_ours:.1f} s)")
        print(f"   speed-up: {t_paper / t_ours:.1f}x")

        ann = celeba.read_annotations(src)
        test_rows = ann.split("test")
        start, stop = int(test_rows[0]), int(test_rows[-1]) + 1
        # Warm the page cache and TF's kernels equally for both readers.
        for _ in celeba.load(out, "validation", batch_size=args.batch).take(1):
            pass
        paper = _paper_pipeline(tf, legacy, start, stop, args.batch)
        p_first, p_pass, p_n = _time_first_and_pass(paper)
        o_first, o_pass, o_n = _time_first_and_pass(
            celeba.load(out, "test", batch_size=args.batch, normalize="unit")
        )
        assert p_n == o_n == len(test_rows), (p_n, o_n, len(test_rows))
        print(f"\n2. test split ({o_n} images, batch {args.batch}, 150x150)")
        print(
            f"   first batch: paper {p_first:7.3f} s   ours {o_first:7.3f} s   "
            f"speed-up {p_first / o_first:.1f}x"
        )
        print(
            f"   one pass:    paper {p_pass:7.3f} s   ours {o_pass:7.3f} s   "
            f"speed-up {p_pass / o_pass:.1f}x"
        )

        # 3. Pipeline throughput against a bare decode+resize loop over the same bytes.
        files = ann.filenames
        images_dir = celeba.find_files(src).images
        assert images_dir is not None
        rows = ann.split("train")[: min(4000, len(ann.split("train")))]
        blobs = [tf.constant((images_dir / files[i]).read_bytes()) for i in rows]

        @tf.function
        def resize(blob: Any) -> Any:
            return tf.image.resize(tf.io.decode_jpeg(blob, channels=3), (150, 150))

        resize(blobs[0])
        t0 = time.perf_counter()
        for b in blobs:
            resize(b)
        t_bare = time.perf_counter() - t0
        ds = celeba.load(out, "train", batch_size=args.batch, limit=len(rows))
        for _ in ds.take(1):
            pass
        t0 = time.perf_counter()
        count = sum(int(x.shape[0]) for x, _ in ds)
        t_pipe = time.perf_counter() - t0
        print(f"\n3. decode+resize throughput ({count} train images)")
        print(f"   bare loop: {len(blobs) / t_bare:9.0f} img/s")
        ratio = (count / t_pipe) / (len(blobs) / t_bare)
        print(f"   load():    {count / t_pipe:9.0f} img/s   ratio {ratio:.2f}x")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
