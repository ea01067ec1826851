"""The core's internal API for the library's own packages (not for users).

Packages outside ``core`` that count, validate or build reports import these
names from here (or from ``_validation``) rather than from the private modules,
so the core can move code between its modules without breaking them.  A test
holds every package to it; the validation helpers are re-exported for packages
that need both.
"""

from ._errors import InputError, InputTypeError
from ._group_keys import GroupKey, check_groups, group_keys
from ._options import RULES, check_options, validated, zero_division_fill
from ._validation import (
    check_int,
    check_label_names,
    check_sample_weight,
    check_threshold,
    check_zero_division,
    label_name_difference,
)
from .calibration._batch import batch_sums as calibration_batch_sums
from .calibration._batch import check_calibration_batch
from .calibration._sums import (
    calibration_error_from_sums,
    curve_from_sums,
    mean_loss_from_sums,
    pool_labels,
)
from .counts import _formulas as formulas
from .counts._averaging import (
    average_counts,
    divide,
    mean_from_sums,
    mean_sums,
    nan_average,
    nan_mean,
    present_counts,
    sample_values,
    samples_mean,
)
from .counts._counting import (
    BatchCounts,
    binary_predictions,
    count_batch,
    decode_triples,
    encode_triples,
    merge_histograms,
    sample_triples,
    score_cut,
)
from .counts._counting import _float32_ceiling as float32_ceiling
from .counts._cuts import Curve, candidate_mask, curve, sort_with_truth
from .counts._formulas import (
    COHEN_KAPPA,
    MATTHEWS,
    NAMED_FORMULAS,
    YOUDEN,
    Formula,
    fbeta_formula,
    formula_by_name,
)
from .counts._groups import DEFAULT_MAX_SLICES, OVERALL, check_max_slices, check_min_slice_size
from .counts._poisson import GOLDEN, cluster_keys, poisson_multiplicities, splitmix64
from .counts._serialization import SCHEMA_VERSION
from .counts._sliced import SlicedCounts, prepare_sliced_batch
from .counts._state import MultilabelCounts, prepare_batch
from .ranking._constraints import EER_NAMES, Constraint, check_constraints, select_cuts
from .ranking._exact import map_blocks, warn_undefined_labels
from .ranking._operating_points import OperatingPoints, finish_points
from .ranking._sketch import ScoreSketch
from .ranking._sketch_bins import DEFAULT_BINS, EDGES_VERSION, bin_index, sketch_edges
from .ranking._sketch_bounds import ap_from_bins, auroc_from_bins
from .ranking._sketch_cuts import is_monotone
from .report._calibration_bootstrap import calibration_replicates
from .report._evaluate import _PER_LABEL_FORMULAS as PER_LABEL_FORMULAS
from .report._evaluate import Report, report_from_counts, report_label_names, summarize_counts
from .report._evaluate import _summarize as summarize_checked
from .report._gates import load_rules
from .report._intervals import percentile_bounds
from .report._sliced import SlicedReport, report_from_sliced_counts, shown_slices
from .report._sliced_bootstrap import (
    SliceReplicates,
    combine_replicates,
    replicate_intervals,
    replicates_of,
    slice_replicates,
    with_slice_intervals,
)
from .report._sliced_streaming import _ranking_columns as sketch_ranking_columns
from .report._sliced_streaming import slice_sketches
from .report._tables import markdown_table, markdown_text

__all__ = [
    "COHEN_KAPPA",
    "DEFAULT_BINS",
    "DEFAULT_MAX_SLICES",
    "EDGES_VERSION",
    "EER_NAMES",
    "GOLDEN",
    "MATTHEWS",
    "NAMED_FORMULAS",
    "OVERALL",
    "PER_LABEL_FORMULAS",
    "RULES",
    "SCHEMA_VERSION",
    "YOUDEN",
    "BatchCounts",
    "Constraint",
    "Curve",
    "Formula",
    "GroupKey",
    "InputError",
    "InputTypeError",
    "MultilabelCounts",
    "OperatingPoints",
    "Report",
    "ScoreSketch",
    "SliceReplicates",
    "SlicedCounts",
    "SlicedReport",
    "ap_from_bins",
    "auroc_from_bins",
    "average_counts",
    "bin_index",
    "binary_predictions",
    "calibration_batch_sums",
    "calibration_error_from_sums",
    "calibration_replicates",
    "candidate_mask",
    "check_calibration_batch",
    "check_constraints",
    "check_groups",
    "check_int",
    "check_label_names",
    "check_max_slices",
    "check_min_slice_size",
    "check_options",
    "check_sample_weight",
    "check_threshold",
    "check_zero_division",
    "cluster_keys",
    "combine_replicates",
    "count_batch",
    "curve",
    "curve_from_sums",
    "decode_triples",
    "divide",
    "encode_triples",
    "fbeta_formula",
    "finish_points",
    "float32_ceiling",
    "formula_by_name",
    "formulas",
    "group_keys",
    "is_monotone",
    "label_name_difference",
    "load_rules",
    "map_blocks",
    "markdown_table",
    "markdown_text",
    "mean_from_sums",
    "mean_loss_from_sums",
    "mean_sums",
    "merge_histograms",
    "nan_average",
    "nan_mean",
    "percentile_bounds",
    "poisson_multiplicities",
    "pool_labels",
    "prepare_batch",
    "prepare_sliced_batch",
    "present_counts",
    "replicate_intervals",
    "replicates_of",
    "report_from_counts",
    "report_from_sliced_counts",
    "report_label_names",
    "sample_triples",
    "sample_values",
    "samples_mean",
    "score_cut",
    "select_cuts",
    "shown_slices",
    "sketch_edges",
    "sketch_ranking_columns",
    "slice_replicates",
    "slice_sketches",
    "sort_with_truth",
    "splitmix64",
    "summarize_checked",
    "summarize_counts",
    "validated",
    "warn_undefined_labels",
    "with_slice_intervals",
    "zero_division_fill",
]
