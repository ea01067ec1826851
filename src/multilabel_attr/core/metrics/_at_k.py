"""Metrics at ``k`` for top-k predictions: precision, recall, nDCG and their propensity-scored
versions, exact, streaming and mergeable.

For a sample with true label set ``Y`` (``|Y| = m``) and ranked predictions
``p_1, p_2, ...`` (hit ``h_r = [p_r in Y]``, discount ``d_r = 1 / log2(r + 1)``):

* ``P@k = sum_{r<=k} h_r / k`` and ``R@k = sum_{r<=k} h_r / m``;
* ``nDCG@k = sum_{r<=k} h_r d_r / sum_{r<=min(k, m)} d_r``;
* ``PSP@k = sum_{r<=k} h_r / q_{p_r} / k`` with propensities ``q`` (Jain et
  al., 2016); normalised, it is divided by the best achievable value, the
  same sum over the ``k`` true labels of lowest propensity.  The ratio is taken
  of the sums over samples (as napkinXC and pyxclib report it);
* ``PSnDCG@k``: the same with the nDCG discount.

``R@k`` and ``nDCG@k`` are undefined for a sample without true labels (the
``zero_division`` value; ``nan`` leaves it out).  The state keeps, for each
``k``, a handful of weighted sums: O(len(k)) memory, however many samples.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated, zero_division_fill
from .._validation import check_sample_weight, external_stacklevel, to_numpy
from ..counts._averaging import UndefinedMetricWarning
from ..counts._set_input import RowSets, TopK, chunk_cells, lookup, scipy_product, truth_sets

FloatArray = NDArray[np.float64]

SCHEMA_VERSION = 1
_CHUNK_ROWS = 1 << 14
_SUMS = (
    "weight", "defined_weight", "precision", "recall", "ndcg",
    "psp", "psp_best", "psndcg", "psndcg_best",
)  # fmt: skip


def propensity_scores(y: Any, *, a: float = 0.55, b: float = 1.5) -> FloatArray:
    """Label propensities of Jain et al. (2016) from label frequencies.

    ``p_l = 1 / (1 + C (N_l + B)^(-A))`` with ``C = (ln N - 1) (B + 1)^A``,
    ``N`` the number of samples and ``N_l`` those with label ``l``.  The usual
    parameters are ``A = 0.55, B = 1.5`` (``0.5, 0.4`` for Wikipedia-LSHTC,
    ``0.6, 2.6`` for Amazon).

    Parameters
    ----------
    y : array-like or scipy.sparse matrix of shape (n_samples, n_labels)
        0/1 labels, typically of the training set.
    a, b : float
        The dataset parameters ``A`` and ``B``.

    Returns
    -------
    ndarray of shape (n_labels,)

    Examples
    --------
    >>> from multilabel_attr import propensity_scores
    >>> propensity_scores([[1, 0], [1, 1], [1, 0]]).round(4).tolist()
    [0.9334, 0.9102]
    """
    sets = truth_sets(y, "y")
    return _jain(sets, a, b)


def _jain(sets: RowSets, a: Any, b: Any) -> FloatArray:
    for name, value in (("a", a), ("b", b)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value) >= 0:
            raise ValueError(f"{name} must be a non-negative number; got {value!r}")
    if sets.n_rows < 3:
        raise ValueError(
            f"propensities from label frequencies need at least 3 samples (ln N > 1); got "
            f"{sets.n_rows}. Pass propensities= explicitly"
        )
    counts = np.bincount(sets.indices, minlength=sets.n_labels).astype(np.float64)
    c = (math.log(sets.n_rows) - 1) * (b + 1) ** a
    propensities: FloatArray = 1.0 / (1.0 + c * (counts + b) ** -a)
    return propensities


def _check_propensities(propensities: Any, n_labels: int) -> FloatArray:
    values = np.asarray(propensities, np.float64)
    if values.shape != (n_labels,):
        raise ValueError(
            f"propensities must have one value per label ({n_labels}); got shape {values.shape}"
        )
    if not np.all(np.isfinite(values)) or np.any(values <= 0) or np.any(values > 1):
        raise ValueError("propensities must lie in (0, 1]; found values outside")
    return values


def _as_topk(y_pred: Any, n_samples: int, n_labels: int, ks: tuple[int, ...]) -> TopK:
    """``y_pred`` as top-k predictions: a TopK, integer label indices, or dense float scores."""
    largest = max(ks)
    if largest > n_labels:
        raise ValueError(f"k must be at most the number of labels ({n_labels}); got {largest}")
    array = None if isinstance(y_pred, TopK) else to_numpy(y_pred, "y_pred")
    if array is not None and np.issubdtype(array.dtype, np.floating):
        if array.shape != (n_samples, n_labels):
            raise ValueError(
                "y_pred of floats is read as scores, one per label, with the shape of y_true "
                f"{(n_samples, n_labels)}; got shape {array.shape} (label indices must be integers)"
            )
        return TopK.from_scores(array, largest)
    top = y_pred if array is None else TopK(array)
    if top.n_samples != n_samples:
        raise ValueError(f"y_true has {n_samples} samples and y_pred {top.n_samples}")
    top.check_labels(n_labels, "y_pred")
    if largest > top.k:
        raise ValueError(
            f"k must be at most the number of predictions per row in y_pred ({top.k}); "
            f"got {largest}"
        )
    return top


def _ranked_true(truth: RowSets, inverse: FloatArray, depth: int) -> FloatArray:
    """Per row, the ``depth`` largest inverse propensities of its true labels, descending."""
    rows = truth.row_ids()
    values = inverse[truth.indices]
    order = np.lexsort((-values, rows))
    rank = np.arange(rows.shape[0]) - truth.indptr[rows[order]]
    keep = rank < depth
    best = np.zeros((truth.n_rows, depth))
    best[rows[order][keep], rank[keep]] = values[order][keep]
    return best


def _scipy_hits(truth: RowSets, indices: NDArray[Any]) -> NDArray[np.bool_] | None:
    """Rank-major hits from scipy's merge when scipy.sparse is loaded (see ``scipy_product``).

    The predicted cells carry their rank, which the product keeps on the hits.
    """
    n, depth = indices.shape
    rank_type = np.int8 if depth < 128 else np.int32
    ranks = np.tile(np.arange(1, depth + 1, dtype=rank_type), n)
    pred = RowSets(
        np.arange(0, n * depth + 1, depth, dtype=np.int64), indices.reshape(-1), truth.n_labels,
        False,
    )  # fmt: skip
    product = scipy_product(truth, pred, ranks)
    if product is None:
        return None
    hits = np.zeros((depth, n), np.bool_)
    rows = np.repeat(np.arange(n), np.diff(product.indptr))
    hits[product.data.astype(np.intp) - 1, rows] = True
    return hits


def _searched_hits(truth: RowSets, indices: NDArray[Any]) -> NDArray[np.bool_]:
    """Rank-major hits by binary search of each rank's cells among the true cells."""
    n, depth = indices.shape
    hits = np.empty((depth, n), np.bool_)
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n)
        true_cells, cell_type = chunk_cells(truth, start, stop)
        row_cells = np.arange(stop - start, dtype=cell_type) * cell_type(truth.n_labels)
        by_rank = indices[start:stop].T.astype(cell_type)
        for rank in range(depth):
            # One label per row: these cells increase with the row, so the search runs in order.
            by_rank[rank] += row_cells
            hits[rank, start:stop] = lookup(true_cells, by_rank[rank])
    return hits


def _batch_sums(
    truth: RowSets, top: TopK, ks: tuple[int, ...], weights: FloatArray, inverse: FloatArray | None
) -> dict[str, FloatArray]:
    """The weighted sums of one batch, one entry per ``k`` (see the module docstring).

    Hits are laid out rank-major, ``(depth, n)``, so that the running sums over
    ranks are whole-vector additions.
    """
    n, depth = truth.n_rows, max(ks)
    indices = top.indices[:, :depth]
    hits = _scipy_hits(truth, indices)
    if hits is None:
        hits = _searched_hits(truth, indices)
    n_true = truth.row_sizes()
    defined = n_true > 0
    discount = 1.0 / np.log2(np.arange(depth) + 2.0)
    ideal = np.r_[1.0, np.cumsum(discount)]  # ideal[0] only serves undefined rows
    by_true = np.where(defined, weights / np.maximum(n_true, 1), 0.0)
    scored_names = () if inverse is None else ("ps", "ps_gain", "best", "best_gain")
    running = {name: np.zeros(n) for name in ("found", "gain", *scored_names)}
    best = None if inverse is None else _ranked_true(truth, inverse, depth)
    at_k: dict[int, dict[str, Any]] = {}
    total, defined_total = weights.sum(), weights[defined].sum()
    for rank in range(depth):
        hit = hits[rank]
        running["found"] += hit
        running["gain"] += hit * discount[rank]
        if inverse is not None and best is not None:
            scored = np.where(hit, inverse[indices[:, rank]], 0.0)
            running["ps"] += scored
            running["ps_gain"] += scored * discount[rank]
            running["best"] += best[:, rank]
            running["best_gain"] += best[:, rank] * discount[rank]
        k = rank + 1
        if k not in ks:
            continue
        by_ideal = np.where(defined, weights / ideal[np.minimum(k, n_true)], 0.0)
        at_k[k] = {
            "weight": total,
            "defined_weight": defined_total,
            "precision": weights @ running["found"] / k,
            "recall": by_true @ running["found"],
            "ndcg": by_ideal @ running["gain"],
        }
        for name, vector, scale in (
            ("psp", "ps", weights / k), ("psp_best", "best", weights / k),
            ("psndcg", "ps_gain", by_ideal), ("psndcg_best", "best_gain", by_ideal),
        ):  # fmt: skip
            at_k[k][name] = scale @ running[vector] if vector in running else 0.0
    return {name: np.array([at_k[k][name] for k in ks], np.float64) for name in _SUMS}


class TopKCounts:
    """Exact, mergeable sufficient statistics of the metrics at ``k``.

    For each ``k``: weighted sums of per-sample precision, recall, nDCG and
    of the propensity-scored gains and their best achievable values, plus
    the sample weight with and without true labels.  Streaming any split of
    the data, or merging partial states, gives the one-shot numbers.

    Parameters
    ----------
    n_labels : int
        Number of labels (columns of ``y_true``).
    k : int or sequence of int, default=5
        The cut-offs to evaluate.
    propensities : array-like of shape (n_labels,), optional
        Label propensities in (0, 1] for PSP@k and PSnDCG@k, e.g. from
        [`propensity_scores`][multilabel_attr.propensity_scores] on the
        training labels.

    Examples
    --------
    >>> from multilabel_attr import TopK, TopKCounts
    >>> state = TopKCounts(4, k=[1, 2])
    >>> _ = state.update([[1, 0, 1, 0]], TopK([[2, 1]]))
    >>> _ = state.update([[0, 1, 0, 0]], TopK([[3, 1]]))
    >>> state.precision_at_k().tolist()
    [0.5, 0.5]
    """

    __slots__ = ("inverse", "ks", "n_labels", "n_samples", "n_undefined", "scalar", "sums")

    @validated("n_labels", "k")
    def __init__(self, n_labels: int, *, k: Any = 5, propensities: Any = None) -> None:
        self._setup(n_labels, k, propensities)

    def _setup(self, n_labels: int, k: int | tuple[int, ...], propensities: Any) -> None:
        """The constructor's work, for ``n_labels`` and ``k`` checked at the door."""
        self.n_labels = n_labels
        self.scalar = isinstance(k, int)
        self.ks = (k,) if isinstance(k, int) else k
        if max(self.ks) > self.n_labels:
            raise ValueError(
                f"k must be at most the number of labels ({self.n_labels}); got {max(self.ks)}"
            )
        self.inverse = (
            None if propensities is None else 1.0 / _check_propensities(propensities, self.n_labels)
        )
        self.sums = {name: np.zeros(len(self.ks)) for name in _SUMS}
        self.n_samples = 0
        self.n_undefined = 0

    def update(self, y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> TopKCounts:
        """Add one batch: 0/1 labels (dense or sparse) and top-k predictions.

        ``y_pred`` is as for [`precision_at_k`][multilabel_attr.precision_at_k]: a
        [`TopK`][multilabel_attr.TopK], label indices (int) or scores (float).
        """
        truth = truth_sets(y_true)
        if truth.n_labels != self.n_labels:
            raise ValueError(
                f"y_true has {truth.n_labels} labels; this state counts {self.n_labels}"
            )
        return self._add(truth, y_pred, sample_weight)

    def _add(self, truth: RowSets, y_pred: Any, sample_weight: Any) -> TopKCounts:
        top = _as_topk(y_pred, truth.n_rows, self.n_labels, self.ks)
        weights = check_sample_weight(sample_weight, truth.n_rows)
        unit = np.ones(truth.n_rows) if weights is None else weights
        batch = _batch_sums(truth.sorted(), top, self.ks, unit, self.inverse)
        for name in _SUMS:
            self.sums[name] = self.sums[name] + batch[name]
        self.n_samples += truth.n_rows
        self.n_undefined += int(np.count_nonzero((truth.row_sizes() == 0) & (unit > 0)))
        return self

    def merge(self, other: TopKCounts) -> TopKCounts:
        """A new state holding both states' samples (same labels, ``k`` and propensities)."""
        if not isinstance(other, TopKCounts):
            raise TypeError(f"can only merge TopKCounts; got {type(other).__name__}")
        same_ps = (self.inverse is None and other.inverse is None) or (
            self.inverse is not None
            and other.inverse is not None
            and np.array_equal(self.inverse, other.inverse)
        )
        if other.n_labels != self.n_labels or other.ks != self.ks or not same_ps:
            raise ValueError("cannot merge TopKCounts with different n_labels, k or propensities")
        merged = TopKCounts.__new__(TopKCounts)
        merged._setup(self.n_labels, self.ks[0] if self.scalar else self.ks, None)
        merged.inverse = self.inverse
        merged.sums = {name: self.sums[name] + other.sums[name] for name in _SUMS}
        merged.n_samples = self.n_samples + other.n_samples
        merged.n_undefined = self.n_undefined + other.n_undefined
        return merged

    def __add__(self, other: TopKCounts) -> TopKCounts:
        return self.merge(other)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable snapshot, restored exactly by
        [`from_dict`][multilabel_attr.TopKCounts.from_dict]."""
        return {
            "schema_version": SCHEMA_VERSION,
            "n_labels": self.n_labels,
            "k": self.ks[0] if self.scalar else list(self.ks),
            "propensities": None if self.inverse is None else (1.0 / self.inverse).tolist(),
            "n_samples": self.n_samples,
            "n_undefined": self.n_undefined,
            "sums": {name: values.tolist() for name, values in self.sums.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopKCounts:
        """Rebuild a state saved by [`to_dict`][multilabel_attr.TopKCounts.to_dict]."""
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                "data must be a dict from TopKCounts.to_dict() with schema_version "
                f"{SCHEMA_VERSION}"
            )
        state = cls(int(data["n_labels"]), k=data["k"], propensities=data["propensities"])
        if data["propensities"] is not None:
            state.inverse = 1.0 / np.asarray(data["propensities"], np.float64)
        for name in _SUMS:
            values = np.asarray(data["sums"][name], np.float64)
            if values.shape != (len(state.ks),):
                raise ValueError(f"data['sums'][{name!r}] must have one value per k")
            state.sums[name] = values
        state.n_samples = int(data["n_samples"])
        state.n_undefined = int(data["n_undefined"])
        return state

    # -- metrics -----------------------------------------------------------------------------

    def _finish(self, values: FloatArray) -> float | FloatArray:
        return float(values[0]) if self.scalar else values

    def _mean(self, name: str) -> FloatArray:
        if self.n_samples == 0:
            raise ValueError("no samples have been counted yet; call update() first")
        weight = self.sums["weight"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(weight > 0, self.sums[name] / weight, np.nan)

    def _undefined_mean(self, name: str, zero_division: Any, metric: str) -> FloatArray:
        fill = zero_division_fill(zero_division)
        if self.n_samples == 0:
            raise ValueError("no samples have been counted yet; call update() first")
        if self.n_undefined and zero_division == "warn":
            warnings.warn(
                f"{metric} is undefined (no true labels) for {self.n_undefined} of "
                f"{self.n_samples} samples; set to {fill:g}. Pass zero_division=0, 1 or nan "
                "to choose the value and silence this warning.",
                UndefinedMetricWarning,
                stacklevel=external_stacklevel(),
            )
        defined = self.sums["defined_weight"]
        with np.errstate(divide="ignore", invalid="ignore"):
            if math.isnan(fill):
                return np.where(defined > 0, self.sums[name] / defined, np.nan)
            weight = self.sums["weight"]
            total = self.sums[name] + fill * (weight - defined)
            return np.where(weight > 0, total / weight, np.nan)

    def _propensity_scored(self, name: str, normalize: Any) -> FloatArray:
        if self.inverse is None:
            raise ValueError(
                f"{name} needs label propensities: pass propensities= when creating the state"
            )
        if not normalize:
            return self._mean(name)
        self._mean(name)
        best = self.sums[name + "_best"]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(best > 0, self.sums[name] / best, np.nan)

    def precision_at_k(self) -> Any:
        """Precision at each ``k``: a float for one ``k``, else an array."""
        return self._finish(self._mean("precision"))

    @validated("zero_division")
    def recall_at_k(self, zero_division: Any = "warn") -> Any:
        """Recall at each ``k``; undefined for samples without true labels."""
        return self._finish(self._undefined_mean("recall", zero_division, "Recall@k"))

    @validated("zero_division")
    def ndcg_at_k(self, zero_division: Any = "warn") -> Any:
        """nDCG at each ``k``; undefined for samples without true labels."""
        return self._finish(self._undefined_mean("ndcg", zero_division, "nDCG@k"))

    @validated("normalize")
    def psprecision_at_k(self, normalize: bool = True) -> Any:
        """Propensity-scored precision at each ``k`` (normalised by its best value)."""
        return self._finish(self._propensity_scored("psp", normalize))

    @validated("normalize")
    def psndcg_at_k(self, normalize: bool = True) -> Any:
        """Propensity-scored nDCG at each ``k`` (normalised by its best value)."""
        return self._finish(self._propensity_scored("psndcg", normalize))

    def __repr__(self) -> str:
        return (
            f"TopKCounts(n_labels={self.n_labels}, k={list(self.ks)}, n_samples={self.n_samples})"
        )


def _one_shot(
    y_true: Any, y_pred: Any, k: Any, sample_weight: Any, propensities: Any = None,
    a: float = 0.55, b: float = 1.5, scored: bool = False,
) -> TopKCounts:  # fmt: skip
    """Validate once and count one batch into a fresh state."""
    truth = truth_sets(y_true)
    if scored and propensities is None:
        # From the evaluated labels themselves; the training labels are the usual source.
        propensities = _jain(truth, a, b)
    state = TopKCounts.__new__(TopKCounts)
    state._setup(truth.n_labels, k, propensities)
    return state._add(truth, y_pred, sample_weight)


@validated("k")
def precision_at_k(y_true: Any, y_pred: Any, *, k: Any = 5, sample_weight: Any = None) -> Any:
    """Precision at k: the fraction of the k best-ranked labels that are true, averaged.

    Parameters
    ----------
    y_true : array-like or scipy.sparse matrix of shape (n_samples, n_labels)
        0/1 ground truth; CSR/CSC matrices are read without densifying.
    y_pred : TopK or array-like, shape (n_samples, k') of int or (n_samples, n_labels) of float
        Predicted label indices of each sample, best first (``k' >= max(k)``),
        or a dense score matrix (floats): each row's ``max(k)`` best-scored
        labels are taken, and among equal scores the lower label index ranks
        first (as [`TopK.from_scores`][multilabel_attr.TopK.from_scores]).
    k : int or list of int, default=5
        The cut-off; a list returns one value per entry.
    sample_weight : array-like of shape (n_samples,), optional
        Weights of the per-sample values in the average.

    Returns
    -------
    float, or ndarray with one value per ``k`` when ``k`` is a list.

    Examples
    --------
    >>> from multilabel_attr import precision_at_k
    >>> precision_at_k([[1, 0, 1, 0], [0, 1, 0, 0]], [[2, 1], [3, 1]], k=[1, 2]).tolist()
    [0.5, 0.5]
    """
    return _one_shot(y_true, y_pred, k, sample_weight).precision_at_k()


@validated("k", "zero_division")
def recall_at_k(
    y_true: Any, y_pred: Any, *, k: Any = 5, sample_weight: Any = None, zero_division: Any = "warn"
) -> Any:
    """Recall at k: the fraction of a sample's true labels among its k best-ranked labels.

    Parameters
    ----------
    y_true, y_pred, k, sample_weight
        As for [`precision_at_k`][multilabel_attr.precision_at_k].
    zero_division : {"warn", 0, 1, nan}, default="warn"
        Value for a sample without true labels; ``nan`` leaves it out.

    Returns
    -------
    float, or ndarray with one value per ``k`` when ``k`` is a list.

    Examples
    --------
    >>> from multilabel_attr import recall_at_k
    >>> recall_at_k([[1, 0, 1, 0], [0, 1, 0, 0]], [[2, 1], [3, 1]], k=2)
    0.75
    """
    state = _one_shot(y_true, y_pred, k, sample_weight)
    return state._finish(state._undefined_mean("recall", zero_division, "Recall@k"))


@validated("k", "zero_division")
def ndcg_at_k(
    y_true: Any, y_pred: Any, *, k: Any = 5, sample_weight: Any = None, zero_division: Any = "warn"
) -> Any:
    """nDCG at k for 0/1 relevance: the DCG of the top k over the best achievable DCG.

    Parameters
    ----------
    y_true, y_pred, k, sample_weight, zero_division
        As for [`recall_at_k`][multilabel_attr.recall_at_k].

    Returns
    -------
    float, or ndarray with one value per ``k`` when ``k`` is a list.

    Examples
    --------
    >>> from multilabel_attr import ndcg_at_k
    >>> round(ndcg_at_k([[1, 0, 1, 0]], [[0, 1, 2]], k=3), 4)
    0.9197
    """
    state = _one_shot(y_true, y_pred, k, sample_weight)
    return state._finish(state._undefined_mean("ndcg", zero_division, "nDCG@k"))


@validated("k", "normalize")
def psprecision_at_k(
    y_true: Any,
    y_pred: Any,
    *,
    k: Any = 5,
    propensities: Any = None,
    a: float = 0.55,
    b: float = 1.5,
    normalize: bool = True,
    sample_weight: Any = None,
) -> Any:
    """Propensity-scored precision at k (Jain et al., 2016): hits weighted by inverse propensity.

    Parameters
    ----------
    y_true, y_pred, k, sample_weight
        As for [`precision_at_k`][multilabel_attr.precision_at_k].
    propensities : array-like of shape (n_labels,), optional
        Label propensities in (0, 1]; by default
        [`propensity_scores`][multilabel_attr.propensity_scores] of ``y_true``
        with ``a`` and ``b`` (pass those of the training labels when known).
    a, b : float, default 0.55 and 1.5
        Jain et al.'s parameters, used when ``propensities`` is None.
    normalize : bool, default=True
        Divide by the best achievable value (the usual report); ``False`` gives
        the plain mean.

    Returns
    -------
    float, or ndarray with one value per ``k`` when ``k`` is a list.

    Examples
    --------
    >>> from multilabel_attr import psprecision_at_k
    >>> psprecision_at_k([[1, 0, 1], [0, 1, 0]], [[0, 1], [1, 2]], k=1,
    ...                  propensities=[0.5, 0.25, 0.5])
    1.0
    """
    state = _one_shot(y_true, y_pred, k, sample_weight, propensities, a, b, scored=True)
    return state._finish(state._propensity_scored("psp", normalize))


@validated("k", "normalize")
def psndcg_at_k(
    y_true: Any,
    y_pred: Any,
    *,
    k: Any = 5,
    propensities: Any = None,
    a: float = 0.55,
    b: float = 1.5,
    normalize: bool = True,
    sample_weight: Any = None,
) -> Any:
    """Propensity-scored nDCG at k: nDCG with each hit weighted by its inverse propensity.

    Parameters
    ----------
    y_true, y_pred, k, propensities, a, b, normalize, sample_weight
        As for [`psprecision_at_k`][multilabel_attr.psprecision_at_k].

    Returns
    -------
    float, or ndarray with one value per ``k`` when ``k`` is a list.

    Examples
    --------
    >>> from multilabel_attr import psndcg_at_k
    >>> round(psndcg_at_k([[1, 0, 1]], [[0, 2]], k=2, propensities=[0.5, 1.0, 0.25]), 4)
    0.8597
    """
    state = _one_shot(y_true, y_pred, k, sample_weight, propensities, a, b, scored=True)
    return state._finish(state._propensity_scored("psndcg", normalize))
