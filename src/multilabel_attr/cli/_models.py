"""``multilabel-attr train``, ``predict`` and ``reproduce``: the commands that need the tf
extra (each imports it when run)."""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._main import Command, CommandError, _output_file, _threshold_argument, _write_or_print


def _cmd_train(args: argparse.Namespace) -> None:
    from ..datasets import celeba
    from ..models import (
        build_paper_cnn,
        build_xception_transfer,
        global_batch_size,
        precision_policy,
        resolve_strategy,
        train_cnn,
        train_transfer,
    )

    size = (args.image_size, args.image_size)
    strategy = resolve_strategy(args.strategy, who="--strategy")
    # --batch-size is per device: with N replicas each step reads N batches' worth of images.
    batch = global_batch_size(args.batch_size, strategy)

    def split(name: str, limit: int | None, shuffle: bool) -> Any:
        return celeba.load(
            args.data, name, image_size=size, batch_size=batch, limit=limit,
            shuffle=shuffle, seed=args.seed, cache=_CACHE_CHOICES[args.cache_images],
        )  # fmt: skip

    train = split("train", args.train_limit, True)
    val = split("validation", args.val_limit, False)
    verbose: Any = 0 if args.quiet else "auto"
    accel = {"precision": args.precision, "jit_compile": args.jit_compile}
    weights = None if args.weights == "none" else args.weights
    with strategy.scope(), precision_policy(args.precision):
        if args.model == "cnn":
            model = build_paper_cnn(input_shape=(*size, 3))
        else:
            model = build_xception_transfer(input_shape=(*size, 3), weights=weights)
    if args.model == "cnn":
        result = train_cnn(
            model, train, val, epochs=args.epochs, output_dir=args.output, verbose=verbose,
            **accel,
        )  # fmt: skip
        final = result.final_model
    else:
        transfer = train_transfer(
            model, train, val, output_dir=args.output, epochs_frozen=args.epochs,
            epochs_fine_tune=args.fine_tune_epochs, verbose=verbose, **accel,
        )  # fmt: skip
        final = transfer.final_model
    print(f"trained model: {final}")


_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def _image_files(paths: Sequence[str]) -> list[Path]:
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            files += sorted(p for p in entry.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES)
        elif entry.is_file():
            files.append(entry)
        else:
            raise CommandError(f"image path not found: {entry}")
    if not files:
        raise CommandError(f"no images ({', '.join(_IMAGE_SUFFIXES)}) found in {list(paths)}")
    return files


def _cmd_predict(args: argparse.Namespace) -> None:
    import keras
    from PIL import Image
    from tqdm import tqdm

    # Registers the library's Keras metrics and layers so saved models deserialise.
    importlib.import_module("multilabel_attr.keras")
    importlib.import_module("multilabel_attr.models")
    from ..datasets.celeba import ATTRIBUTES

    if not Path(args.model).exists():
        raise CommandError(f"model file not found: {args.model}")
    model = keras.models.load_model(args.model)
    height, width = model.input_shape[1:3]
    n_labels = model.output_shape[-1]
    names = list(ATTRIBUTES) if n_labels == len(ATTRIBUTES) else [f"label_{i}" for i in
                                                                    range(n_labels)]  # fmt: skip
    threshold = np.broadcast_to(
        np.asarray(_threshold_argument(args, names), np.float64), (n_labels,)
    )
    files = _image_files(args.images)
    results = []
    for start in tqdm(range(0, len(files), args.batch_size), disable=args.quiet, unit="batch"):
        batch_files = files[start : start + args.batch_size]
        pixels = np.stack(
            [
                np.asarray(
                    Image.open(f).convert("RGB").resize((width, height), Image.Resampling.BILINEAR),
                    np.float32,
                )
                for f in batch_files
            ]
        )
        scores = np.asarray(model.predict_on_batch(pixels), np.float64)
        for file, row in zip(batch_files, scores):
            positive = [n for n, s, t in zip(names, row, threshold) if s >= t]
            results.append(
                {
                    "image": str(file),
                    "attributes": positive,
                    "scores": {n: round(float(s), 6) for n, s in zip(names, row)},
                }
            )
    if args.format == "json":
        _write_or_print(json.dumps(results, indent=2), args.output)
    else:
        lines = [f"{r['image']}: {', '.join(r['attributes']) or '(none)'}" for r in results]
        _write_or_print("\n".join(lines), args.output)


def _cmd_reproduce(args: argparse.Namespace) -> None:
    from ..paper import reproduce

    reproduce(
        args.output, celeba_dir=args.celeba_dir, labels_from=args.labels_from,
        protocol="smoke" if args.smoke else args.protocol, cache_dir=args.cache_dir,
        transfer_weights=args.transfer_weights, seed=args.seed,
        verbose=0 if args.quiet else 1, precision=args.precision, jit_compile=args.jit_compile,
        strategy=args.strategy, cache_images=_CACHE_CHOICES[args.cache_images],
    )  # fmt: skip


_CACHE_CHOICES: dict[str, Any] = {"auto": "auto", "on": True, "off": False}


def _add_speed_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("speed (the protocol is unchanged)")
    group.add_argument(
        "--precision", choices=["float32", "mixed_float16", "mixed_bfloat16"],
        help="Keras dtype policy (default float32); output layers stay float32",
    )  # fmt: skip
    group.add_argument("--jit-compile", action="store_true", help="compile steps with XLA")
    group.add_argument(
        "--strategy", choices=["default", "mirrored", "auto"], default="default",
        help="one device, every GPU (batch size is per GPU), or mirrored/one GPU/CPU by count",
    )  # fmt: skip
    group.add_argument(
        "--cache-images", choices=sorted(_CACHE_CHOICES), default="auto",
        help="keep decoded images in memory between epochs (auto: when they fit)",
    )  # fmt: skip


def add_model_commands(command: Command, add_threshold_options: Callable[..., None]) -> None:
    """train, predict and reproduce (the tf extra)."""
    p = command("train", "Train the paper's CNN or the Xception transfer model on TFRecords.")
    p.add_argument("data", help="TFRecord folder written by 'convert'")
    p.add_argument("--model", choices=["cnn", "transfer"], default="cnn")
    p.add_argument("--output", required=True, help="folder for checkpoints and history")
    p.add_argument("--epochs", type=int, default=40, help="CNN epochs / transfer frozen epochs")
    p.add_argument("--fine-tune-epochs", type=int, default=10)
    p.add_argument("--image-size", type=int, default=150)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--train-limit", type=int, help="first N training images (paper: 40000)")
    p.add_argument("--val-limit", type=int, help="first N validation images (paper: 10000)")
    p.add_argument("--weights", default="imagenet", help="transfer: imagenet, none or a file")
    p.add_argument("--seed", type=int, default=0)
    _add_speed_options(p)
    p.set_defaults(run=_cmd_train)

    p = command("predict", "Predict attributes of image files with a saved model.")
    p.add_argument("model", help="a .keras model file")
    p.add_argument("images", nargs="+", help="image files or folders")
    add_threshold_options(p)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("-o", "--output", type=_output_file)
    p.set_defaults(run=_cmd_predict)

    p = command("reproduce", "Reproduce the paper's table end to end (data to report).")
    p.add_argument("--celeba-dir", help="real CelebA folder; default: synthetic data")
    p.add_argument("--labels-from", help="attribute file whose label rows synthetic data reuses")
    p.add_argument("--protocol", choices=["paper", "quick", "smoke"])
    p.add_argument("--smoke", action="store_true", help="tiny data, one epoch")
    p.add_argument("--output", default="outputs/reproduction")
    p.add_argument("--cache-dir")
    p.add_argument("--transfer-weights", default="auto", help="auto, imagenet, none or a file")
    p.add_argument("--seed", type=int, default=0)
    _add_speed_options(p)
    p.set_defaults(run=_cmd_reproduce)
