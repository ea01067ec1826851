"""The end-to-end reproduction: data, both models, thresholds, the four tables, figures.

Needs the ``tf`` extra (and ``plot`` for figures).  Every step writes under the
output folder and can be rerun after an interruption: the synthetic data and
TFRecords are cached and reused, and training resumes from its last epoch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._io import text_digest, write_text_atomic
from .._tensorflow import import_tensorflow_quietly
from ._calibration import calibration_markdown, calibration_table
from ._compute import ModelRun, corrected_tables, papers_way_tables
from ._protocols import PROTOCOLS, Protocol, ProtocolName, default_cache_dir
from ._ranking import (
    delong_comparison,
    delong_markdown,
    delong_summary,
)
from ._report import report_markdown, report_summary, write_figures, write_report
from ._subgroups import (
    subgroup_markdown,
    subgroup_summary,
    subgroup_tables,
    write_subgroup_figure,
)
from ._tables import paper_grid_thresholds

MODEL_NAMES = ("CNN", "Transfer model")


@dataclass
class DataSource:
    """Where the reproduction's images come from."""

    root: Path
    tfrecords: Path
    synthetic: bool
    description: str


def prepare_data(
    *,
    celeba_dir: str | os.PathLike[str] | None,
    protocol: Protocol,
    cache_dir: Path,
    labels_from: str | os.PathLike[str] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> DataSource:
    """Find real CelebA or make the synthetic one, then convert it to sharded TFRecords.

    Both the synthetic folder and the TFRecords are cached by size and seed, and
    conversion skips shards that are already complete, so reruns are cheap.
    """
    from ..datasets import celeba

    if celeba_dir is not None:
        files = celeba.find_files(celeba_dir)
        root = Path(files.root)
        # A digest, not hash(): string hashes change between processes, and the cache must not.
        key = f"real-{text_digest(str(root.resolve()), 8)}"
        description = f"real CelebA images from {root}"
        synthetic = False
    else:
        label_key = "model" if labels_from is None else f"labels-{Path(labels_from).stem}"
        key = f"synthetic-{protocol.synthetic_images}-seed{seed}-{label_key}"
        root = cache_dir / key / "celeba"
        if not (root / ".complete").exists():
            celeba.make_synthetic(
                root,
                protocol.synthetic_images,
                seed=seed,
                labels=labels_from,
                progress=progress,
            )
            write_text_atomic(root / ".complete", "ok\n")
        description = (
            f"synthetic CelebA-format images ({protocol.synthetic_images} faces drawn by "
            "multilabel_attr.datasets.celeba.make_synthetic"
            + (f", labels reused from {labels_from}" if labels_from else "")
            + ")"
        )
        synthetic = True
    tfrecords = cache_dir / key / "tfrecords"
    celeba.convert(root, tfrecords, progress=progress)
    return DataSource(root=root, tfrecords=tfrecords, synthetic=synthetic, description=description)


@dataclass
class ReproductionResult:
    """Everything the reproduction printed and wrote."""

    output_dir: Path
    markdown: str
    summary: dict[str, Any]
    wall_time_s: float
    figures: list[Path]


def _resolve_transfer_weights(weights: str | None) -> tuple[str | None, str]:
    """``"auto"``: ImageNet weights when Keras's cache has them, else none (and say so)."""
    from ..models import imagenet_weights_path

    if weights == "auto":
        try:
            imagenet_weights_path()
        except FileNotFoundError:
            pass
        else:
            return "imagenet", "ImageNet weights from the Keras cache"
        return None, (
            "**no ImageNet weights** (none in the Keras cache and no network): the Xception "
            "base is randomly initialised, so the transfer model cannot reproduce the paper's "
            "transfer learning"
        )
    if weights in (None, "none"):
        return None, "**no ImageNet weights** (weights=None requested)"
    if weights == "imagenet":
        return "imagenet", "ImageNet weights"
    return str(weights), f"weights from {weights}"


@dataclass(frozen=True)
class _Speed:
    """Options that change how fast the models train, not what the protocol computes."""

    precision: Any = None
    jit_compile: Any = False
    strategy: Any = None  # a resolved tf.distribute.Strategy
    cache: Any = "auto"


def _run_model(
    name: str,
    data: DataSource,
    protocol: Protocol,
    output_dir: Path,
    *,
    transfer_weights: str | None,
    seed: int,
    verbose: int,
    speed: _Speed,
) -> ModelRun:
    from ..datasets import celeba
    from ..models import (
        build_paper_cnn,
        build_xception_transfer,
        global_batch_size,
        precision_policy,
        predict_scores,
        train_cnn,
        train_transfer,
    )
    from ..thresholds import optimize_thresholds

    is_cnn = name == "CNN"
    n_train, n_val, n_test = protocol.cnn_subsets if is_cnn else protocol.transfer_subsets
    # The protocol's batch is per device: each replica sees the paper's batch size.
    per_replica = protocol.cnn_batch_size if is_cnn else protocol.transfer_batch_size
    batch = global_batch_size(per_replica, speed.strategy)
    size = protocol.image_size

    def split(split_name: str, limit: int, shuffle: bool = False, cache: Any = False) -> Any:
        return celeba.load(
            data.tfrecords, split_name, image_size=size, batch_size=batch, limit=limit,
            shuffle=shuffle, seed=seed, cache=cache,
        )  # fmt: skip

    accel = {"precision": speed.precision, "jit_compile": speed.jit_compile}

    import keras

    keras.utils.set_random_seed(seed)
    shape = (*size, 3)
    model_dir = output_dir / "models" / ("cnn" if is_cnn else "transfer")
    verbosity: Any = verbose if verbose in (0, 1, 2) else "auto"
    train = split("train", n_train, True, speed.cache)
    val = split("validation", n_val, cache=speed.cache)
    with speed.strategy.scope(), precision_policy(speed.precision):
        if is_cnn:
            model = build_paper_cnn(input_shape=shape)
        else:
            model = build_xception_transfer(input_shape=shape, weights=transfer_weights)
    if is_cnn:
        result = train_cnn(
            model, train, val, epochs=protocol.cnn_epochs, output_dir=model_dir,
            verbose=verbosity, **accel,
        )  # fmt: skip
        history = result.history
        trained = keras.models.load_model(result.final_model, compile=False)
    else:
        transfer = train_transfer(
            model, train, val, output_dir=model_dir,
            epochs_frozen=protocol.transfer_epochs_frozen,
            epochs_fine_tune=protocol.transfer_epochs_fine_tune, verbose=verbosity, **accel,
        )  # fmt: skip
        history = {
            key: transfer.frozen.history.get(key, []) + transfer.fine_tuned.history.get(key, [])
            for key in transfer.frozen.history
        }
        trained = keras.models.load_model(transfer.final_model, compile=False)
    y_val, s_val = predict_scores(trained, split("validation", n_val))
    y_test, s_test = predict_scores(trained, split("test", n_test))
    grid = paper_grid_thresholds(y_val, s_val)
    # Every label is tuned, as with the paper's grid, so the two searches compare like for like.
    exact = np.asarray(
        optimize_thresholds(y_val, s_val, metric="f1", strategy="per_label", min_positives=1)
    )
    return ModelRun(name, y_val, s_val, y_test, s_test, grid, exact, history)


def _check_speed(precision: Any, jit_compile: Any, strategy: Any, cache: Any) -> _Speed:
    from ..datasets.celeba._internal import check_cache
    from ..models import resolve_strategy
    from ..models._internal import check_jit_compile, check_precision

    who = "reproduce"
    return _Speed(
        precision=check_precision(precision, who),
        jit_compile=check_jit_compile(jit_compile, who),
        strategy=resolve_strategy(strategy, who=who),
        cache=check_cache(cache),
    )


def _resolve_protocol(protocol: ProtocolName | Protocol | None, real_data: bool) -> Protocol:
    """The protocol by name or as given; by default the paper's on real data."""
    if protocol is None:
        protocol = "paper" if real_data else "quick"
    if isinstance(protocol, str):
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {sorted(PROTOCOLS)}; got {protocol!r}")
        return PROTOCOLS[protocol]
    if isinstance(protocol, Protocol):
        return protocol
    raise TypeError(f"protocol must be a name or a Protocol; got {type(protocol).__name__}")


def reproduce(
    output_dir: str | os.PathLike[str] = "outputs/reproduction",
    *,
    celeba_dir: str | os.PathLike[str] | None = None,
    labels_from: str | os.PathLike[str] | None = None,
    protocol: ProtocolName | Protocol | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    transfer_weights: str | None = "auto",
    seed: int = 0,
    verbose: int = 1,
    log: Callable[[str], None] = print,
    precision: str | None = None,
    jit_compile: bool | str = False,
    strategy: Any = None,
    cache_images: bool | str = "auto",
) -> ReproductionResult:
    """Reproduce the paper's table end to end and write ``report.md``, ``report.json``
    and figures to ``output_dir``.

    Parameters
    ----------
    output_dir : path
        Where the report, figures, models and histories go.
    celeba_dir : path, optional
        Real CelebA in any supported layout.  Without it, a synthetic
        CelebA-format data set is generated once into the cache (the embedded
        default).
    labels_from : path, optional
        An attribute file whose real label rows the synthetic data reuses.
    protocol : {"paper", "quick", "smoke"} or Protocol, optional
        Default: ``"paper"`` on real data, ``"quick"`` on synthetic data.
    cache_dir : path, optional
        Default [`default_cache_dir`][multilabel_attr.paper.default_cache_dir].
    transfer_weights : {"auto", "imagenet", None} or path, default="auto"
        ``"auto"`` uses ImageNet weights only when Keras's cache has them.
    seed : int, default=0
    verbose : int, default=1
        Keras verbosity; 0 is silent.
    log : callable, default=print
        Receives progress lines and the final report.
    precision : {None, "float32", "mixed_float16", "mixed_bfloat16"}, default=None
        Keras dtype policy of both models (``None``: float32); the output layers stay float32.
    jit_compile : bool or "auto", default=False
        XLA compilation of the training steps.
    strategy : {None, "default", "mirrored", "auto"} or tf.distribute.Strategy, optional
        See [`resolve_strategy`][multilabel_attr.models.resolve_strategy]. The protocol's batch
        sizes are per replica: with N GPUs each step reads N times as many images.
    cache_images : bool or "auto", default="auto"
        Keep the decoded training and validation images in memory between epochs
        (``"auto"``: when they fit in half of the available memory).

    Returns
    -------
    ReproductionResult
    """
    started = time.perf_counter()
    import_tensorflow_quietly()
    speed = _check_speed(precision, jit_compile, strategy, cache_images)
    chosen = _resolve_protocol(protocol, celeba_dir is not None)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    from ..datasets import celeba

    log(f"[1/4] data ({chosen.name} protocol)")
    data = prepare_data(
        celeba_dir=celeba_dir, protocol=chosen, cache_dir=cache, labels_from=labels_from,
        seed=seed, progress=verbose > 0,
    )  # fmt: skip
    attributes = tuple(celeba.ATTRIBUTES)
    weights, weights_note = _resolve_transfer_weights(transfer_weights)
    runs: dict[str, ModelRun] = {}
    for step, name in enumerate(MODEL_NAMES, start=2):
        log(f"[{step}/4] {name}: train, score validation and test, tune thresholds")
        runs[name] = _run_model(
            name, data, chosen, out, transfer_weights=weights, seed=seed, verbose=verbose,
            speed=speed,
        )  # fmt: skip
    log("[4/4] tables, confidence intervals, figures")
    _, y_train, _ = celeba.load_numpy(data.root, "train", limit=chosen.cnn_subsets[0],
                                      images=False)  # fmt: skip
    papers_way = papers_way_tables(runs)
    # Several images per person: with the identity file, the bootstrap resamples people.
    annotations = celeba.read_annotations(data.root)
    identities = None
    if annotations.identities is not None:
        identities = annotations.identities[annotations.split("test")]
    corrected = corrected_tables(runs, y_train, chosen, seed, attributes, identities)
    cnn = runs["CNN"]
    n_common = corrected.n_common
    calibration = calibration_table(runs, n_common, chosen.bootstrap_resamples, seed, identities)
    subgroups = subgroup_tables(
        "CNN", cnn.y_test[:n_common], cnn.s_test[:n_common], cnn.exact_thresholds, attributes,
        chosen.bootstrap_resamples, seed, None if identities is None else identities[:n_common],
    )  # fmt: skip
    figures = write_figures(out, data.root, runs, corrected.reports, attributes)
    figures += write_subgroup_figure(subgroups, out / "figures")
    comparison = delong_comparison(runs, n_common, attributes)
    wall = time.perf_counter() - started
    caveats = []
    if data.synthetic:
        caveats.append(
            "This run used **synthetic images**, not CelebA photographs: its numbers show the "
            "pipeline and the corrections, not the paper's real-data results."
        )
    caveats.append(f"Transfer model: {weights_note}.")
    markdown = report_markdown(
        protocol=chosen, data_description=data.description, caveats=caveats,
        wall_time_s=wall, papers_way=papers_way, corrected=corrected,
    )  # fmt: skip
    markdown += "\n" + calibration_markdown(calibration)
    markdown += "\n" + subgroup_markdown(subgroups, data.synthetic)
    markdown += "\n" + delong_markdown(comparison, n_common)
    summary = report_summary(
        protocol=chosen, data_description=data.description, synthetic=data.synthetic,
        weights_note=weights_note, papers_way=papers_way, corrected=corrected, runs=runs,
        wall_time_s=wall, figures=[str(p.relative_to(out)) for p in figures],
    )  # fmt: skip
    summary["calibration"] = calibration.numbers()
    summary["subgroups"] = subgroup_summary(subgroups, data.synthetic)
    summary["delong"] = delong_summary(comparison)
    summary["speed"] = {
        "precision": speed.precision,
        "jit_compile": speed.jit_compile,
        "strategy": type(speed.strategy).__name__,
        "replicas": int(speed.strategy.num_replicas_in_sync),
        "cache_images": speed.cache,
    }
    write_report(out, markdown, summary)
    log(markdown)
    return ReproductionResult(out, markdown, summary, wall, figures)
