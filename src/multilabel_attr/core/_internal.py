"""The core's internal API for the other subpackages (not public, no stability promise).

Subpackages such as ``multilabel_attr.keras`` and the scale-out engines import
core internals from here rather than from the private modules that define
them, so the core can move code between its modules without breaking them.
"""

from ._averaging import divide, nan_average, nan_mean
from ._bootstrap import _check_resampling as check_resampling
from ._bootstrap import _predictions as binary_predictions
from ._counting import BatchCounts, decode_triples, encode_triples, merge_histograms
from ._counting import _float32_ceiling as float32_ceiling
from ._ranking import warn_undefined_labels
from ._report import (
    _PER_LABEL_FORMULAS as PER_LABEL_FORMULAS,
)
from ._report import (
    Report,
    report_from_counts,
    summarize_counts,
)
from ._report import _name_labels as name_labels
from ._sketch import DEFAULT_BINS, ScoreSketch, bin_index, sketch_edges
from ._sketch_cuts import is_monotone
from ._sketch_math import ap_from_bins, auroc_from_bins
from ._state import MultilabelCounts, prepare_batch
from ._validation import (
    check_int,
    check_label_names,
    check_sample_weight,
    check_threshold,
    check_zero_division,
)

__all__ = [
    "DEFAULT_BINS",
    "PER_LABEL_FORMULAS",
    "BatchCounts",
    "MultilabelCounts",
    "Report",
    "ScoreSketch",
    "ap_from_bins",
    "auroc_from_bins",
    "bin_index",
    "binary_predictions",
    "check_int",
    "check_label_names",
    "check_resampling",
    "check_sample_weight",
    "check_threshold",
    "check_zero_division",
    "decode_triples",
    "divide",
    "encode_triples",
    "float32_ceiling",
    "is_monotone",
    "merge_histograms",
    "name_labels",
    "nan_average",
    "nan_mean",
    "prepare_batch",
    "report_from_counts",
    "sketch_edges",
    "summarize_counts",
    "warn_undefined_labels",
]
