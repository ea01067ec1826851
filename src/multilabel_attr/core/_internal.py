"""The core's internal API for the other subpackages (not public, no stability promise).

Subpackages such as ``multilabel_attr.keras`` import core internals from here
rather than from the private modules that define them.
"""

from ._averaging import nan_mean
from ._counting import _float32_ceiling as float32_ceiling
from ._sketch import DEFAULT_BINS, bin_index, sketch_edges
from ._sketch_math import ap_from_bins, auroc_from_bins

__all__ = [
    "DEFAULT_BINS",
    "ap_from_bins",
    "auroc_from_bins",
    "bin_index",
    "float32_ceiling",
    "nan_mean",
    "sketch_edges",
]
