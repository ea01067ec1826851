"""Training speed: input pipeline against model step, mixed precision and XLA, paper epochs.

On whatever device is present (every visible GPU through ``tf.distribute``, else the CPU), in
one run on the same synthetic CelebA TFRecords:

1. **input pipeline alone**: images/s of ``celeba.load`` (parallel JPEG decode and resize,
   shuffled, batched, prefetched) without and with the in-memory cache of decoded images; the
   two pipelines are first checked to give identical batches;
2. **CNN step alone**: images/s of the paper CNN's training step (Adam, binary cross-entropy,
   the protocol's metrics) at batch 128 on a batch already in memory, in float32 and mixed
   precision, without and with XLA; mixed-precision scores are first checked against float32
   scores of the same weights;
3. **which bounds the run**: pipeline images/s over the fastest CNN step's (goal >= 1.5);
4. **paper protocol epochs**: ``train_cnn`` and ``train_transfer`` at the paper's subset sizes
   (synthetic images cycling through a cached pool), three epochs per phase, mixed precision
   with XLA against float32 without; the full protocol's wall time follows from the paper's
   epoch counts (every epoch run, compilation once per phase);
5. **transfer steps alone**: as 2 for the Xception model, frozen and fine-tuning, batch 256.

Sized to finish within 10 minutes on one H200 (``--budget-s`` skips what would not fit);
``--quick`` uses small sizes that run on a CPU in a few minutes, ``--smoke`` tiny ones that only
show that every section runs.

Usage: ``python benchmarks/bench_training.py [--quick | --smoke] [--json FILE] [--workdir DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass(frozen=True)
class Sizes:
    synthetic_images: int
    image_size: int
    cnn_batch: int
    transfer_batch: int
    timed_steps: int
    cnn_subsets: tuple[int, int, int]
    transfer_subsets: tuple[int, int, int]
    cnn_epochs: int = 40
    transfer_epochs_frozen: int = 20
    transfer_epochs_fine_tune: int = 10


FULL = Sizes(12_000, 150, 128, 256, 40, (40_000, 10_000, 10_000), (20_000, 5_000, 5_000))
QUICK = Sizes(400, 72, 32, 16, 3, (256, 64, 64), (64, 32, 32))
# Every section at the smallest sizes the models accept (Xception needs 71x71): a test in CI
# runs it, so that the benchmark keeps working between device runs.
SMOKE = Sizes(64, 72, 8, 8, 1, (32, 16, 16), (16, 8, 8))
LABELS = 40
CONFIGS = {  # name: (precision, jit_compile)
    "float32": ("float32", False),
    "float32+xla": ("float32", True),
    "mixed_float16": ("mixed_float16", False),
    "mixed_float16+xla": ("mixed_float16", True),
}


class Budget:
    """Wall-clock budget: later sections are skipped, and say so, once it is spent."""

    def __init__(self, seconds: float) -> None:
        self.start = time.perf_counter()
        self.seconds = seconds

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.start)

    def allows(self, what: str, needs: float) -> bool:
        if self.left() >= needs:
            return True
        print(f"  skipped {what}: {self.left():.0f} s of budget left, needs about {needs:.0f} s")
        return False


class EpochTimer:
    """Wall time of every epoch (validation included), one list per ``fit`` call."""

    def __new__(cls) -> Any:
        import keras

        class _Timer(keras.callbacks.Callback):  # type: ignore[misc]
            def __init__(self) -> None:
                super().__init__()
                self.runs: list[list[float]] = []
                self._t = 0.0

            def on_train_begin(self, logs: Any = None) -> None:
                self.runs.append([])

            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                self._t = time.perf_counter()

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                self.runs[-1].append(time.perf_counter() - self._t)

        return _Timer()


# -- data ------------------------------------------------------------------------------------


def make_data(workdir: Path, sizes: Sizes) -> Path:
    from multilabel_attr.datasets import celeba

    root, records = workdir / "celeba", workdir / "tfrecords"
    workers = min(os.cpu_count() or 1, 16)
    t0 = time.perf_counter()
    if not (records / celeba.MANIFEST).is_file():
        celeba.make_synthetic(root, sizes.synthetic_images, seed=0, workers=workers)
        celeba.convert(root, records, workers=workers, progress=False)
        shutil.rmtree(root)
    print(f"data: {sizes.synthetic_images} synthetic images in {time.perf_counter() - t0:.1f} s")
    return records


def split_size(records: Path, split: str) -> int:
    from multilabel_attr.datasets import celeba

    return int(celeba.read_manifest(records)["splits"][split]["count"])


def cycled(records: Path, split: str, total: int, size: int, batch: int, shuffle: bool) -> Any:
    """``total`` images per pass, cycling through the split's cached decoded images."""
    import tensorflow as tf

    from multilabel_attr.datasets import celeba

    pool = celeba.load(
        records, split, image_size=(size, size), batch_size=None, shuffle=shuffle, seed=0,
        cache=True,
    )  # fmt: skip
    return pool.repeat().take(total).batch(batch).prefetch(tf.data.AUTOTUNE)


# -- 1. pipeline alone -------------------------------------------------------------------------


def pipeline_rates(records: Path, sizes: Sizes, batch: int) -> dict[str, float]:
    from multilabel_attr.datasets import celeba

    size = (sizes.image_size, sizes.image_size)

    def reader(cache: bool, shuffle: bool) -> Any:
        return celeba.load(
            records, "train", image_size=size, batch_size=batch, shuffle=shuffle, seed=0,
            cache=cache,
        )  # fmt: skip

    plain = [x.numpy() for x, _ in reader(False, False).take(2)]
    cached = [x.numpy() for x, _ in reader(True, False).take(2)]
    if not all(np.array_equal(a, b) for a, b in zip(plain, cached, strict=True)):
        raise AssertionError("the cached pipeline's batches differ from the uncached ones")
    print("check: cached and uncached pipelines give identical batches")

    def one_pass(ds: Any) -> float:
        t0, n = time.perf_counter(), 0
        for x, _ in ds:
            n += int(x.shape[0])
        return n / (time.perf_counter() - t0)

    uncached = one_pass(reader(False, True))
    ds = reader(True, True)
    filling = one_pass(ds)
    from_cache = one_pass(ds)
    return {"uncached": uncached, "cache_filling": filling, "cached": from_cache}


# -- 2. model step alone -----------------------------------------------------------------------


def build(kind: str, sizes: Sizes) -> Any:
    from multilabel_attr.models import build_paper_cnn, build_xception_transfer, set_base_trainable

    shape = (sizes.image_size, sizes.image_size, 3)
    if kind == "cnn":
        return build_paper_cnn(shape, LABELS, seed=0)
    model = build_xception_transfer(shape, LABELS, weights=None)
    if kind == "fine_tune":
        set_base_trainable(model, True)
    return model


def step_rate(
    kind: str, sizes: Sizes, strategy: Any, precision: str, jit: bool, batch: Any
) -> tuple[float, float]:
    """Images/s of the training step on one in-memory batch (best of epochs 2 and 3), and the
    seconds of the first, compiling, epoch."""
    import keras
    import tensorflow as tf

    from multilabel_attr.models import default_metrics, precision_policy

    with strategy.scope(), precision_policy(precision):  # type: ignore[arg-type]
        model = build(kind, sizes)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3 if kind != "fine_tune" else 1e-5),
            loss=keras.losses.BinaryCrossentropy(),
            metrics=default_metrics(LABELS),
            jit_compile=jit,
        )
        data = tf.data.Dataset.from_tensors(batch).repeat()
        timer = EpochTimer()
        model.fit(data, steps_per_epoch=sizes.timed_steps, epochs=3, callbacks=[timer], verbose=0)
    first, *rest = timer.runs[-1]
    return sizes.timed_steps * int(batch[0].shape[0]) / min(rest), first


def check_mixed_scores(sizes: Sizes, images: Any) -> float:
    """Largest score difference between float32 and mixed precision for the same weights."""
    from multilabel_attr.models import model_precision

    model = build("cnn", sizes)
    reference = model.predict(images, verbose=0)
    with model_precision(model, "mixed_float16"):
        mixed = model.predict(images, verbose=0)
    if mixed.dtype != np.float32:
        raise AssertionError(f"mixed-precision scores are {mixed.dtype}, expected float32")
    gap = float(np.max(np.abs(mixed - reference)))
    if gap > 0.05:
        raise AssertionError(f"mixed-precision scores differ from float32 by {gap}")
    print(f"check: mixed_float16 scores within {gap:.2e} of float32 (same weights)")
    return gap


def step_rates(
    sizes: Sizes,
    strategy: Any,
    budget: Budget,
    kinds: tuple[str, ...],
    configs: tuple[str, ...] = tuple(CONFIGS),
) -> dict[str, dict[str, Any]]:
    import tensorflow as tf

    replicas = strategy.num_replicas_in_sync
    rng = np.random.default_rng(0)
    out: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        n = (sizes.cnn_batch if kind == "cnn" else sizes.transfer_batch) * replicas
        images = rng.integers(0, 256, (n, sizes.image_size, sizes.image_size, 3)).astype("float32")
        labels = (rng.random((n, LABELS)) < 0.3).astype("float32")
        batch = (tf.constant(images), tf.constant(labels))
        if kind == "cnn":
            check_mixed_scores(sizes, images[:64])
        for name in configs:
            precision, jit = CONFIGS[name]
            if not budget.allows(f"{kind} step {name}", 25 if kind == "cnn" else 60):
                continue
            rate, first = step_rate(kind, sizes, strategy, precision, jit, batch)
            out.setdefault(kind, {})[name] = {"images_per_s": rate, "first_epoch_s": first}
            print(
                f"  {kind:9s} {name:18s} {rate:10.0f} img/s "
                f"(batch {n}; compile and first epoch {first:.1f} s)"
            )
    return out


# -- 4. protocol epochs ----------------------------------------------------------------------


def protocol_epochs(
    records: Path, sizes: Sizes, strategy: Any, precision: str, jit: bool, workdir: Path
) -> dict[str, float]:
    """Per-epoch seconds of both models' phases, validation and checkpoints included.

    Three epochs per phase: the first compiles and fills the cache (kept as ``*_first``), and
    XLA may still compile a step in the second, so the faster of the last two is the steady one.
    """
    import keras

    from multilabel_attr.models import (
        global_batch_size,
        precision_policy,
        train_cnn,
        train_transfer,
    )

    times: dict[str, float] = {}
    for kind in ("cnn", "transfer"):
        n_train, n_val, _ = sizes.cnn_subsets if kind == "cnn" else sizes.transfer_subsets
        per_replica = sizes.cnn_batch if kind == "cnn" else sizes.transfer_batch
        batch = global_batch_size(per_replica, strategy)
        train = cycled(records, "train", n_train, sizes.image_size, batch, shuffle=True)
        val = cycled(records, "validation", n_val, sizes.image_size, batch, shuffle=False)
        timer = EpochTimer()
        keras.utils.set_random_seed(0)
        with strategy.scope(), precision_policy(precision):  # type: ignore[arg-type]
            model = build("cnn" if kind == "cnn" else "frozen", sizes)
        common = {"precision": precision, "jit_compile": jit, "strategy": strategy, "verbose": 0}
        out = workdir / f"{kind}-{precision}-{jit}"
        if kind == "cnn":
            train_cnn(model, train, val, epochs=3, output_dir=out, callbacks=[timer], **common)
            times["cnn"], times["cnn_first"] = min(timer.runs[0][1:]), timer.runs[0][0]
        else:
            train_transfer(
                model, train, val, output_dir=out, epochs_frozen=3, epochs_fine_tune=3,
                callbacks=[timer], **common,
            )  # fmt: skip
            times["frozen"], times["frozen_first"] = min(timer.runs[0][1:]), timer.runs[0][0]
            times["fine_tune"], times["fine_tune_first"] = min(timer.runs[1][1:]), timer.runs[1][0]
        shutil.rmtree(out, ignore_errors=True)
    return times


def protocol_wall(sizes: Sizes, t: dict[str, float]) -> float:
    """Seconds of the whole protocol if no early stop ends a phase sooner (an upper bound)."""
    compile_s = sum(max(t[f"{k}_first"] - t[k], 0.0) for k in ("cnn", "frozen", "fine_tune"))
    return (
        sizes.cnn_epochs * t["cnn"]
        + sizes.transfer_epochs_frozen * t["frozen"]
        + sizes.transfer_epochs_fine_tune * t["fine_tune"]
        + compile_s
    )


# -- main --------------------------------------------------------------------------------------


def report_bound(
    pipe: dict[str, float], steps: dict[str, dict[str, Any]], batch: int
) -> dict[str, float]:
    """Pipeline images/s over the fastest CNN step's, and which one bounds the run."""
    fastest = max(steps.get("cnn", {}).values(), key=lambda r: r["images_per_s"], default=None)
    if fastest is None:
        return {}
    cached = pipe["cached"] / fastest["images_per_s"]
    uncached = pipe["uncached"] / fastest["images_per_s"]
    bound = "the model step (the device never waits)" if cached >= 1 else "the input pipeline"
    print(f"\n3. cached pipeline / fastest CNN step at batch {batch}: {cached:.2f}x "
          f"(goal >= 1.5); uncached: {uncached:.2f}x; the run is bound by {bound}")  # fmt: skip
    return {"cached": cached, "uncached": uncached}


def describe_device(strategy: Any) -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    names = []
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        names.append(str(details.get("device_name", gpu.name)))
    where = ", ".join(names) if names else f"CPU ({os.cpu_count()} cores)"
    return f"{where}; {type(strategy).__name__} with {strategy.num_replicas_in_sync} replica(s)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CPU)")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks that it runs")
    parser.add_argument(
        "--budget-s", type=float, default=None,
        help="skip what would not fit (default: 540 s at full size, no limit with --quick)",
    )  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=None, help="kept if given")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    budget = Budget(args.budget_s or (float("inf") if args.quick or args.smoke else 540.0))

    from multilabel_attr.models import resolve_strategy

    strategy = resolve_strategy("auto")
    print(f"device: {describe_device(strategy)}")
    print(f"sizes: {asdict(sizes)}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-training-"))
    results: dict[str, Any] = {"device": describe_device(strategy), "sizes": asdict(sizes)}

    def save() -> None:  # after every section, so that a run cut short keeps what it measured
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")

    try:
        records = make_data(workdir, sizes)
        cnn_batch = sizes.cnn_batch * strategy.num_replicas_in_sync
        print(f"\n1. input pipeline alone (train split, {split_size(records, 'train')} images, "
              f"{sizes.image_size}x{sizes.image_size}, batch {cnn_batch})")  # fmt: skip
        pipe = pipeline_rates(records, sizes, cnn_batch)
        results["pipeline"] = pipe
        for name, rate in pipe.items():
            print(f"  {name:14s} {rate:10.0f} img/s")

        print("\n2. CNN training step alone (batch in memory)")
        results["steps"] = step_rates(sizes, strategy, budget, ("cnn",))
        results["pipeline_over_step"] = report_bound(pipe, results["steps"], cnn_batch)
        save()

        print("\n4. paper protocol epochs (train + validation, synthetic images)")
        results["protocol_epochs"] = epochs = {}
        # Compiling Xception with XLA takes minutes on a CPU: the smoke run leaves it out.
        fast = ("mixed_float16", "float32") if args.smoke else ("mixed_float16+xla", "float32")
        for name in fast:
            if budget.allows(f"protocol epochs {name}", 90):
                precision, jit = CONFIGS[name]
                t = protocol_epochs(records, sizes, strategy, precision, jit, workdir)
                epochs[name] = {**t, "protocol_wall_s": protocol_wall(sizes, t)}
                save()
                print(f"  {name:18s} CNN {t['cnn']:.2f} s/epoch, transfer frozen "
                      f"{t['frozen']:.2f} s/epoch, fine-tune {t['fine_tune']:.2f} s/epoch; "
                      "the paper's epochs at these sizes <= "
                      f"{epochs[name]['protocol_wall_s'] / 60:.1f} min")  # fmt: skip
        if len(epochs) == 2:
            for phase in ("cnn", "frozen", "fine_tune"):
                ratio = epochs["float32"][phase] / epochs[fast[0]][phase]
                print(f"  {phase}: float32 / {fast[0]} per epoch = {ratio:.2f}x")

        print("\n5. transfer training steps alone (batch in memory)")
        transfer_configs = fast if args.smoke else tuple(CONFIGS)
        transfer = step_rates(sizes, strategy, budget, ("frozen", "fine_tune"), transfer_configs)
        results["steps"].update(transfer)
        for kind, row in transfer.items():
            if "float32" in row and fast[0] in row:
                ratio = row[fast[0]]["images_per_s"] / row["float32"]["images_per_s"]
                print(f"  {kind}: {fast[0]} / float32 = {ratio:.2f}x")
        results["elapsed_s"] = time.perf_counter() - budget.start
        print(f"\nelapsed {results['elapsed_s']:.0f} s")
        save()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
