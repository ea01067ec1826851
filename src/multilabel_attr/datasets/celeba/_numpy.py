"""Reading a CelebA split into numpy arrays with Pillow (no TensorFlow)."""

from __future__ import annotations

import os

import numpy as np
import numpy.typing as npt

from ...core._validation import check_int
from ._annotations import SPLITS
from ._faces import IMAGE_SIZE
from ._layout import CelebAFiles, find_files, read_annotations

__all__ = ["load_numpy"]


def load_numpy(
    root: str | os.PathLike[str] | CelebAFiles,
    split: str,
    *,
    image_size: tuple[int, int] | None = None,
    limit: int | None = None,
    images: bool = True,
) -> tuple[list[str], npt.NDArray[np.uint8], npt.NDArray[np.uint8] | None]:
    """Read one split of a CelebA folder into memory (file order).

    Parameters
    ----------
    root
        A CelebA folder in any layout (or its
        [`CelebAFiles`][multilabel_attr.datasets.celeba.CelebAFiles]).
    split
        ``"train"``, ``"validation"`` or ``"test"``.
    image_size
        ``(height, width)`` to resize to with Pillow's bilinear filter, or ``None`` for 218×178.
    limit
        Only the first ``limit`` images of the split.
    images
        ``False`` returns labels only (no image folder needed).

    Returns
    -------
    filenames : list of str
    labels : numpy.ndarray
        ``uint8`` (n, 40) 0/1.
    pixels : numpy.ndarray or None
        ``uint8`` (n, height, width, 3), or ``None`` when ``images=False``.

    Examples
    --------
    >>> import tempfile
    >>> from multilabel_attr.datasets.celeba import make_synthetic
    >>> files = make_synthetic(tempfile.mkdtemp(), 10, seed=0, workers=0)
    >>> names, y, x = load_numpy(files, "test", image_size=(64, 64))
    >>> y.shape, x.shape
    ((1, 40), (1, 64, 64, 3))
    """
    if split not in SPLITS:
        raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
    if limit is not None:
        check_int(limit, "limit", minimum=0)
    files = root if isinstance(root, CelebAFiles) else find_files(root)
    ann = read_annotations(files)
    rows = ann.split(split)[:limit]
    names = [ann.filenames[i] for i in rows]
    labels = ann.labels[rows]
    if not images:
        return names, labels, None
    if files.images is None:
        raise FileNotFoundError(f"no image folder found under {files.root}")
    from PIL import Image

    out = []
    for name in names:
        with Image.open(files.images / name) as im:
            rgb = im.convert("RGB")
            if image_size is not None:
                rgb = rgb.resize((image_size[1], image_size[0]), Image.Resampling.BILINEAR)
            out.append(np.asarray(rgb, dtype=np.uint8))
    shape = (0, *(image_size or IMAGE_SIZE), 3)
    return names, labels, np.stack(out) if out else np.empty(shape, np.uint8)
