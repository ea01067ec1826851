"""Atomic figure writer."""

from __future__ import annotations

import numbers
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._io import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_FORMATS = ("png", "svg", "pdf")


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: float = 150) -> Path:
    """Write ``fig`` to ``path`` atomically, creating missing parent folders.

    The image is written to a temporary file in the destination folder and
    moved into place with `os.replace`, so a reader never sees a partial
    file and an interrupted write leaves any previous file intact.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to write.
    path : str or path-like
        Destination; its suffix picks the format: ``.png`` (default use),
        ``.svg`` or ``.pdf``.
    dpi : float, default 150
        Resolution in dots per inch (raster formats).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    TypeError
        If ``fig`` is not a matplotlib figure.
    ValueError
        If the suffix is not a supported format or ``dpi`` is not positive.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from multilabel_attr.plots import plot_label_prevalence, save_figure
    >>> fig = plot_label_prevalence({"train": [0.2, 0.7]}, ["Bald", "Young"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = save_figure(fig, pathlib.Path(tmp) / "figs" / "prevalence.png", dpi=50)
    ...     out.read_bytes()[:4] == b"\\x89PNG"
    True
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib.figure.Figure; got {type(fig).__name__}")
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in _FORMATS:
        raise ValueError(
            f"path must end in {', '.join('.' + f for f in _FORMATS)}; got {target.name!r}"
        )
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or not dpi > 0:
        raise ValueError(f"dpi must be a positive number; got {dpi!r}")
    with atomic_path(target, suffix=target.suffix) as temporary, open(temporary, "wb") as stream:
        _savefig(fig, stream, fmt, dpi)
        stream.flush()
        # Make the bytes durable before the rename publishes them.
        os.fsync(stream.fileno())
    return target


def _savefig(fig: Figure, stream: Any, fmt: str, dpi: float) -> None:
    fig.savefig(stream, format=fmt, dpi=dpi, facecolor="white")
