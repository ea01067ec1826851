"""Synthetic CelebA: a CelebA-format folder of drawn faces with CelebA-like labels.

Labels come from the label model in `_label_model` (or from real label rows); faces are drawn by
`_faces`.  This module writes the folder: images in parallel chunks, then annotation files.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..._io import write_bytes_atomic
from ...core._validation import check_int
from ._annotations import (
    read_attributes,
    write_attributes,
    write_identities,
    write_partition,
)
from ._faces import IMAGE_SIZE, render_face
from ._label_model import sample_labels, split_sizes
from ._layout import LAYOUTS, CelebAFiles, find_files

__all__ = ["IMAGE_SIZE", "make_synthetic", "render_face", "sample_labels", "split_sizes"]


def _image_rngs(
    seed: int, index: int, identity: int
) -> tuple[np.random.Generator, np.random.Generator]:
    return (np.random.default_rng([seed, 1, index]), np.random.default_rng([seed, 2, identity]))


def _render_chunk(
    args: tuple[
        str, int, Sequence[int], Sequence[str], npt.NDArray[np.uint8], npt.NDArray[np.int64], int
    ],
) -> int:
    folder, seed, indices, names, labels, identities, quality = args
    out = Path(folder)
    for k, index in enumerate(indices):
        rng, id_rng = _image_rngs(seed, index, int(identities[k]))
        buf = io.BytesIO()
        render_face(labels[k], rng, id_rng).save(buf, format="JPEG", quality=quality)
        write_bytes_atomic(out / names[k], buf.getvalue())
    return len(indices)


def _identities(sizes: Sequence[int], rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """About 20 images per identity (as in CelebA), no identity shared across splits."""
    out: list[npt.NDArray[np.int64]] = []
    next_id = 1
    for size in sizes:
        count = max(1, math.ceil(size / 20)) if size else 0
        ids = rng.integers(0, count, size) + next_id if size else np.empty(0, np.int64)
        out.append(ids.astype(np.int64))
        next_id += count
    return np.concatenate(out) if out else np.empty(0, np.int64)


Layout = Literal["original", "torchvision", "kaggle", "flat"]


def make_synthetic(
    root: str | os.PathLike[str],
    num_images: int,
    *,
    seed: int = 0,
    layout: Layout = "original",
    labels: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    quality: int = 90,
    progress: bool = False,
) -> CelebAFiles:
    """Write a complete synthetic CelebA folder: 218×178 JPEG faces and annotation files.

    The annotation files are byte-compatible with the real ones (CRLF, count line, trailing
    space, field widths); partitions are contiguous in file order in CelebA's proportions
    (see `split_sizes`); identities (about 20 images each) never cross splits.

    Parameters
    ----------
    root
        Output folder (created). Existing images with the same names are overwritten.
    num_images
        Number of images, at least 3 (one per split).
    seed
        Everything (labels, identities, every pixel) is a function of ``seed`` only; the number
        of workers does not change the output.
    layout
        Folder layout: ``"original"`` (``Anno/``, ``Eval/``, ``Img/img_align_celeba/``),
        ``"torchvision"`` (``celeba/...``), ``"kaggle"`` (CSV files, no identity file) or
        ``"flat"``.
    labels
        ``None`` draws labels from the built-in model of CelebA's label statistics
        ([`sample_labels`][multilabel_attr.datasets.celeba.sample_labels]). A path to an attribute
        file reuses its rows: all of them in order when ``num_images`` equals its row count,
        otherwise a seeded random subset kept in file order, so that the joint statistics are the
        real ones.
    workers
        Worker processes for drawing (default: the CPU count, at most 8); ``0`` or ``1`` draws in
        this process.
    quality
        JPEG quality (1-95).
    progress
        Show a tqdm progress bar.

    Returns
    -------
    CelebAFiles
        The files written, as [`find_files`][multilabel_attr.datasets.celeba.find_files] sees them.

    Raises
    ------
    ValueError
        For a bad ``num_images``, ``layout``, ``quality``, or a ``labels`` file with fewer rows
        than ``num_images``.

    Examples
    --------
    >>> import tempfile
    >>> files = make_synthetic(tempfile.mkdtemp(), 5, seed=1, layout="flat", workers=0)
    >>> files.layout, len(list(files.images.glob("*.jpg")))
    ('flat', 5)
    """
    check_int(num_images, "num_images", minimum=3)
    if layout not in LAYOUTS:
        raise ValueError(f"layout: expected one of {sorted(LAYOUTS)}, got {layout!r}")
    if not 1 <= quality <= 95:
        raise ValueError(f"quality: expected 1..95, got {quality}")
    if num_images > 999_999:
        raise ValueError(f"num_images: at most 999999 (six-digit file names), got {num_images}")
    rng = np.random.default_rng([seed, 0])
    if labels is None:
        y = sample_labels(num_images, rng)
    else:
        _, real = read_attributes(labels)
        if real.shape[0] < num_images:
            raise ValueError(
                f"labels: {labels} has {real.shape[0]} rows, fewer than num_images={num_images}"
            )
        rows = (
            np.arange(num_images)
            if real.shape[0] == num_images
            else np.sort(rng.choice(real.shape[0], num_images, replace=False))
        )
        y = real[rows]
    sizes = split_sizes(num_images)
    partition = np.repeat(np.arange(3, dtype=np.uint8), sizes)
    identities = _identities(sizes, rng)
    names = [f"{i + 1:06d}.jpg" for i in range(num_images)]

    base = Path(root)
    rel = LAYOUTS[layout]
    images = base / rel["images"]
    images.mkdir(parents=True, exist_ok=True)
    n_workers = min(os.cpu_count() or 1, 8) if workers is None else workers
    if n_workers < 0:
        raise ValueError(f"workers: expected >= 0, got {workers}")
    chunk = 250
    jobs = [
        (
            str(images),
            seed,
            list(range(i, min(i + chunk, num_images))),
            names[i : i + chunk],
            y[i : i + chunk],
            identities[i : i + chunk],
            quality,
        )
        for i in range(0, num_images, chunk)
    ]
    from tqdm.auto import tqdm

    with tqdm(total=num_images, desc="synth", unit="img", disable=not progress) as bar:
        if n_workers <= 1:
            for job in jobs:
                bar.update(_render_chunk(job))
        else:
            with ProcessPoolExecutor(n_workers) as pool:
                for done in pool.map(_render_chunk, jobs):
                    bar.update(done)

    # Annotation files last: a folder interrupted while drawing is not mistaken for a complete one.
    write_attributes(base / rel["attributes"], names, y)
    write_partition(base / rel["partition"], names, partition)
    if "identities" in rel:
        write_identities(base / rel["identities"], names, identities)
    return find_files(base)
