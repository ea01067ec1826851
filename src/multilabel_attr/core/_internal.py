"""The core's internal API for the library's own packages (not for users).

Packages outside ``core`` that count, validate or build reports import these
names from here rather than from the private modules, so the core can move
code between its modules without breaking them.
"""

from ._averaging import divide, nan_average
from ._bootstrap import _check_resampling as check_resampling
from ._bootstrap import _predictions as binary_predictions
from ._counting import BatchCounts, decode_triples, encode_triples, merge_histograms
from ._ranking import warn_undefined_labels
from ._report import (
    _PER_LABEL_FORMULAS as PER_LABEL_FORMULAS,
)
from ._report import (
    Report,
    default_label_names,
    report_from_counts,
    summarize_counts,
)
from ._sketch import DEFAULT_BINS, ScoreSketch, bin_index
from ._sketch_cuts import is_monotone
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
    "bin_index",
    "binary_predictions",
    "check_int",
    "check_label_names",
    "check_resampling",
    "check_sample_weight",
    "check_threshold",
    "check_zero_division",
    "decode_triples",
    "default_label_names",
    "divide",
    "encode_triples",
    "is_monotone",
    "merge_histograms",
    "nan_average",
    "prepare_batch",
    "report_from_counts",
    "summarize_counts",
    "warn_undefined_labels",
]
