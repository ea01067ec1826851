"""The paper's results table: as published, as the paper computed it, and corrected.

Numpy only. The paper's notebooks computed their table with scikit-learn's sample-averaged metrics;
three things make the published table misleading, and
[`papers_way_table`][multilabel_attr.paper.papers_way_table] reproduces each of them on purpose so
the arithmetic can be checked:

1. the "Recall" row holds sample-averaged *precision* and the "Precision" row
   holds sample-averaged *recall* (the rows are swapped);
2. for the CNN, the Hamming score used the per-label tuned thresholds while the
   other numbers used 0.5 (for the transfer model, all five used 0.5);
3. the two models were tested on different subsets (10,000 and 5,000 images).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core import MultilabelCounts
from ..core._internal import average_counts, count_batch, fbeta_formula
from ..core._internal import markdown_table as render_table
from ..core._validation import binary_mask, check_2d, check_int, check_same_shape

FloatArray = NDArray[np.float64]

TABLE_ROWS: tuple[str, ...] = (
    "Recall",
    "Precision",
    "F1 Measure",
    "Hamming Score",
    "Hamming Loss",
)
"""Row names of the published table, in its order."""

PUBLISHED_TABLE: dict[str, dict[str, float]] = {
    "CNN": {
        "Recall": 0.80356,
        "Precision": 0.66816,
        "F1 Measure": 0.71453,
        "Hamming Score": 0.57109,
        "Hamming Loss": 0.11219,
    },
    "Transfer model": {
        "Recall": 0.80475,
        "Precision": 0.67229,
        "F1 Measure": 0.71656,
        "Hamming Score": 0.57828,
        "Hamming Loss": 0.11176,
    },
}
"""The table as printed in the paper."""

PAPER_GRID_SIZE = 100


def paper_grid_thresholds(
    y_true: Any, y_score: Any, *, n_thresholds: int = PAPER_GRID_SIZE
) -> FloatArray:
    """The paper's threshold search: per label, the best F1 over an even grid.

    ``n_thresholds`` evenly spaced values in [0, 1] (``np.linspace(0, 1, 100)``)
    are scored with the binary F1 of each label (0 when undefined, as
    scikit-learn's default) and the first best is kept.  This is the method the
    exact optimizer in `multilabel_attr.thresholds` replaces; it is kept to
    reproduce the paper.

    Returns
    -------
    ndarray of shape (n_labels,)

    Examples
    --------
    >>> from multilabel_attr.paper import paper_grid_thresholds
    >>> paper_grid_thresholds([[1], [0], [1]], [[0.8], [0.3], [0.6]]).round(4).tolist()
    [0.303]
    """
    truth = binary_mask(check_2d(y_true, "y_true"), "y_true")
    scores = check_2d(y_score, "y_score")
    check_same_shape(truth, scores, "y_score")
    check_int(n_thresholds, "n_thresholds", minimum=2)
    grid = np.linspace(0.0, 1.0, n_thresholds)
    n_labels = truth.shape[1]
    f1 = fbeta_formula(1.0)
    values = np.empty((grid.size, n_labels))
    for k, cut in enumerate(grid):
        counts = count_batch(
            truth, scores, threshold=np.full(n_labels, cut), from_logits=False, sample_weight=None
        )
        values[k] = average_counts(f1, counts.tp, counts.fp, counts.fn, counts.tn, None, 0.0)[0]
    best: FloatArray = grid[np.argmax(values, axis=0)]
    return best


def _five(counts: MultilabelCounts) -> dict[str, float]:
    return {
        "precision": counts.precision_score("samples", zero_division=0),
        "recall": counts.recall_score("samples", zero_division=0),
        "f1": counts.f1_score("samples", zero_division=0),
        "hamming_score": counts.hamming_score(zero_division=0),
        "hamming_loss": counts.hamming_loss(),
    }


def papers_way_table(
    y_true: Any,
    y_score: Any,
    *,
    tuned_thresholds: Any | None = None,
    swap_precision_recall: bool = True,
) -> dict[str, float]:
    """One column of the table computed exactly as the paper did.

    Precision, recall, F1 and Hamming loss at threshold 0.5, sample-averaged;
    the Hamming score at ``tuned_thresholds`` when given (the paper's CNN
    column) or at 0.5 (its transfer column); and, with
    ``swap_precision_recall``, precision printed in the "Recall" row and recall
    in the "Precision" row.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples, n_labels)
        Test labels and probabilities.
    tuned_thresholds : array-like of shape (n_labels,), optional
    swap_precision_recall : bool, default=True

    Returns
    -------
    dict
        Keyed by `TABLE_ROWS`.

    Examples
    --------
    >>> from multilabel_attr.paper import papers_way_table
    >>> column = papers_way_table([[1, 0], [1, 1]], [[0.9, 0.6], [0.4, 0.3]])
    >>> column["Recall"], column["Precision"]  # precision 0.25 printed as "Recall"
    (0.25, 0.5)
    """
    at_half = _five(MultilabelCounts.from_batch(y_true, y_score, threshold=0.5))
    hamming_score = at_half["hamming_score"]
    if tuned_thresholds is not None:
        tuned = MultilabelCounts.from_batch(y_true, y_score, threshold=tuned_thresholds)
        hamming_score = tuned.hamming_score(zero_division=0)
    recall_row, precision_row = (
        (at_half["precision"], at_half["recall"])
        if swap_precision_recall
        else (at_half["recall"], at_half["precision"])
    )
    return {
        "Recall": recall_row,
        "Precision": precision_row,
        "F1 Measure": at_half["f1"],
        "Hamming Score": hamming_score,
        "Hamming Loss": at_half["hamming_loss"],
    }


def corrected_column(counts: MultilabelCounts) -> dict[str, float]:
    """The five numbers with each in its own row, from one count state."""
    five = _five(counts)
    return {
        "Recall": five["recall"],
        "Precision": five["precision"],
        "F1 Measure": five["f1"],
        "Hamming Score": five["hamming_score"],
        "Hamming Loss": five["hamming_loss"],
    }


def majority_baseline(train_labels: Any, n_test: int) -> NDArray[np.uint8]:
    """Predictions of the per-label majority class of the training labels.

    Each label is predicted positive for every test sample when more than half
    of the training samples are positive, negative otherwise.
    """
    truth = binary_mask(check_2d(train_labels, "train_labels"), "train_labels")
    majority = truth.mean(axis=0) > 0.5
    return np.broadcast_to(majority, (n_test, truth.shape[1])).astype(np.uint8)


def markdown_table(
    columns: Mapping[str, Mapping[str, float]],
    *,
    rows: Sequence[str] = TABLE_ROWS,
    intervals: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
    digits: int = 5,
) -> str:
    """Render ``{column: {row: value}}`` as a Markdown table, with optional CIs."""
    names = list(columns)
    body = []
    for row in rows:
        cells = [row]
        for name in names:
            value = columns[name].get(row, float("nan"))
            cell = f"{value:.{digits}f}"
            if intervals and name in intervals and row in intervals[name]:
                low, high = intervals[name][row]
                cell += f" [{low:.{digits - 1}f}, {high:.{digits - 1}f}]"
            cells.append(cell)
        body.append(cells)
    return render_table(["", *names], body)
