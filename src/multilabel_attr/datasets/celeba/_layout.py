"""Locating the CelebA annotation files and image folder under a root directory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ._annotations import Annotations, join_annotations

__all__ = ["LAYOUTS", "CelebAFiles", "find_files", "read_annotations"]

LAYOUTS: dict[str, dict[str, str]] = {
    # Official Google Drive release.
    "original": {
        "attributes": "Anno/list_attr_celeba.txt",
        "identities": "Anno/identity_CelebA.txt",
        "partition": "Eval/list_eval_partition.txt",
        "images": "Img/img_align_celeba",
    },
    # torchvision.datasets.CelebA(root): files live in root/celeba/.
    "torchvision": {
        "attributes": "celeba/list_attr_celeba.txt",
        "identities": "celeba/identity_CelebA.txt",
        "partition": "celeba/list_eval_partition.txt",
        "images": "celeba/img_align_celeba",
    },
    # Kaggle "jessicali9530/celeba-dataset": CSV files, images nested twice, no identities.
    "kaggle": {
        "attributes": "list_attr_celeba.csv",
        "partition": "list_eval_partition.csv",
        "images": "img_align_celeba/img_align_celeba",
    },
    # Everything side by side in one folder.
    "flat": {
        "attributes": "list_attr_celeba.txt",
        "identities": "identity_CelebA.txt",
        "partition": "list_eval_partition.txt",
        "images": "img_align_celeba",
    },
}
"""Relative paths of each file per supported folder layout."""


@dataclass(frozen=True)
class CelebAFiles:
    """The paths of one CelebA folder.

    Returned by [`find_files`][multilabel_attr.datasets.celeba.find_files].

    ``identities`` and ``images`` are ``None`` when absent (the Kaggle release has no identity
    file; an annotation-only folder has no images).
    """

    root: Path
    layout: str
    attributes: Path
    partition: Path
    identities: Path | None
    images: Path | None


def find_files(root: str | os.PathLike[str]) -> CelebAFiles:
    """Find the annotation files and the image folder of a CelebA copy under ``root``.

    The layouts tried, in order, are the official release (``Anno/``, ``Eval/``,
    ``Img/img_align_celeba/``), torchvision's (``celeba/...``), Kaggle's (CSV files and
    ``img_align_celeba/img_align_celeba/``) and a flat folder. For the Kaggle layout a single
    ``img_align_celeba/`` folder of images is accepted too.

    Parameters
    ----------
    root
        The folder to search.

    Returns
    -------
    CelebAFiles

    Raises
    ------
    FileNotFoundError
        If no layout has both an attribute and a partition file; the message lists every path
        that was searched.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("list_attr_celeba.txt", "list_eval_partition.txt"):
    ...     _ = (root / name).write_text("")
    >>> find_files(root).layout
    'flat'
    """
    base = Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"root: {base} is not a directory")
    searched: list[str] = []
    for layout, rel in LAYOUTS.items():
        attributes = base / rel["attributes"]
        partition = base / rel["partition"]
        searched += [str(attributes), str(partition)]
        if not (attributes.is_file() and partition.is_file()):
            continue
        identities = base / rel["identities"] if "identities" in rel else None
        if identities is not None and not identities.is_file():
            identities = None
        images: Path | None = base / rel["images"]
        if layout == "kaggle" and images is not None and not images.is_dir():
            images = base / "img_align_celeba"
        if images is not None and not images.is_dir():
            images = None
        return CelebAFiles(base, layout, attributes, partition, identities, images)
    listing = "\n  ".join(searched)
    raise FileNotFoundError(
        f"no CelebA annotation files under {base}; searched (attribute and partition file of "
        f"each layout: {', '.join(LAYOUTS)}):\n  {listing}"
    )


def read_annotations(root: str | os.PathLike[str] | CelebAFiles) -> Annotations:
    """Read and cross-check all annotation files of the CelebA folder ``root``.

    Returns
    -------
    Annotations
        File names, 0/1 labels, partition codes and identities (``None`` without an identity file).

    Raises
    ------
    FileNotFoundError
        If the files cannot be found (see
        [`find_files`][multilabel_attr.datasets.celeba.find_files]).
    AnnotationError
        If a file is malformed or the partition/identity file does not cover the attribute file.
    """
    files = root if isinstance(root, CelebAFiles) else find_files(root)
    return join_annotations(files.attributes, files.partition, files.identities)
