"""Label statistics per split (prevalence and imbalance), numpy only."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._annotations import ATTRIBUTES, SPLITS, read_attributes
from ._layout import find_files, read_annotations

__all__ = ["LabelStatistics", "format_statistics", "label_statistics"]


@dataclass(frozen=True)
class LabelStatistics:
    """Per-split label statistics.

    Attributes
    ----------
    counts : dict
        Images per split (``"all"`` plus each split present).
    positives : dict
        Per split, an int64 array of 40 positive counts.
    """

    counts: dict[str, int]
    positives: dict[str, npt.NDArray[np.int64]]

    def prevalence(self, split: str = "all") -> npt.NDArray[np.float64]:
        """Positive rate of each attribute in ``split`` (NaN for an empty split)."""
        n = self.counts[split]
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.positives[split] / n if n else np.full(len(ATTRIBUTES), np.nan)

    def imbalance(self, split: str = "all") -> npt.NDArray[np.float64]:
        """Majority-to-minority ratio per attribute (``inf`` when one class is absent)."""
        p = self.prevalence(split)
        lo, hi = np.minimum(p, 1 - p), np.maximum(p, 1 - p)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(lo > 0, hi / np.where(lo > 0, lo, 1), np.inf)

    def majority_accuracy(self, split: str = "all") -> float:
        """Label-cell accuracy (1 - Hamming loss) of always predicting each attribute's majority."""
        p = self.prevalence(split)
        return float(np.mean(np.maximum(p, 1 - p)))


def label_statistics(
    source: str | os.PathLike[str] | npt.ArrayLike,
    partition: npt.ArrayLike | None = None,
) -> LabelStatistics:
    """Prevalence and imbalance of the 40 attributes overall and per split.

    Parameters
    ----------
    source
        A 0/1 label array of shape (n, 40); a CelebA folder (any layout) or converted folder
        (its ``manifest.json``); or an attribute file.
    partition
        Split codes (0/1/2) per row when ``source`` is an array; ignored otherwise.

    Returns
    -------
    LabelStatistics

    Raises
    ------
    ValueError
        If the array is not (n, 40) of 0/1, or ``partition`` does not match it.

    Examples
    --------
    >>> y = np.array([[1] * 40, [0] * 40, [0] * 40, [0] * 40])
    >>> s = label_statistics(y, partition=[0, 0, 2, 2])
    >>> float(s.prevalence("train")[0]), float(s.imbalance("all")[0]), s.counts["test"]
    (0.5, 3.0, 2)
    """
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir() and (path / "manifest.json").is_file():
            from ._manifest import read_manifest

            manifest = read_manifest(path)
            splits = manifest["splits"]
            counts = {s: int(v["count"]) for s, v in splits.items()}
            pos = {s: np.asarray(v["positives"], dtype=np.int64) for s, v in splits.items()}
            counts["all"] = sum(counts.values())
            pos["all"] = np.sum([pos[s] for s in splits], axis=0).astype(np.int64)
            return LabelStatistics(counts, pos)
        if path.is_dir():
            ann = read_annotations(find_files(path))
            return label_statistics(ann.labels, ann.partition)
        _, labels = read_attributes(path)
        return label_statistics(labels)
    y = np.asarray(source)
    if y.ndim != 2 or y.shape[1] != len(ATTRIBUTES) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"source: expected a (n, 40) array of 0/1, got shape {y.shape}")
    counts = {"all": int(y.shape[0])}
    positives = {"all": y.sum(axis=0, dtype=np.int64)}
    if partition is not None:
        codes = np.asarray(partition)
        if codes.shape != (y.shape[0],) or not np.isin(codes, (0, 1, 2)).all():
            raise ValueError(
                f"partition: expected {y.shape[0]} codes in {{0, 1, 2}}, got shape {codes.shape}"
            )
        for k, split in enumerate(SPLITS):
            mask = codes == k
            counts[split] = int(mask.sum())
            positives[split] = y[mask].sum(axis=0, dtype=np.int64)
    return LabelStatistics(counts, positives)


def format_statistics(stats: LabelStatistics) -> str:
    """A plain-text table: prevalence (%) per split and the overall imbalance ratio."""
    splits = ["all", *[s for s in SPLITS if s in stats.counts]]
    width = max(len(a) for a in ATTRIBUTES)
    head = f"{'attribute':<{width}} " + " ".join(f"{s:>10}" for s in splits) + f" {'imbalance':>9}"
    lines = [head, "-" * len(head)]
    prev = {s: stats.prevalence(s) for s in splits}
    imb = stats.imbalance("all")
    for j, name in enumerate(ATTRIBUTES):
        cells = " ".join(f"{100 * prev[s][j]:>9.2f}%" for s in splits)
        lines.append(f"{name:<{width}} {cells} {imb[j]:>9.1f}")
    lines.append("-" * len(head))
    lines.append(f"{'images':<{width}} " + " ".join(f"{stats.counts[s]:>10}" for s in splits))
    lines.append(
        f"{'majority accuracy':<{width}} "
        + " ".join(f"{100 * stats.majority_accuracy(s):>9.2f}%" for s in splits)
    )
    return "\n".join(lines)
