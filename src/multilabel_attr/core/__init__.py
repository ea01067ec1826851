"""Framework-agnostic multi-label metrics (numpy only).

Stages: validation at the public boundary (``_validation``), one counting pass
(``_counting``), formulas as pure functions of counts (``_formulas``) and one
compute stage for averaging and zero division (``_averaging``).  The one-shot
functions (``_metrics``, ``_label_metrics``) and the streaming state (``_state``) share all of them.
"""

from ._errors import InputError, InputTypeError
from .calibration._functions import (
    brier_score,
    calibration_curve,
    expected_calibration_error,
    log_loss,
    max_calibration_error,
)
from .calibration._state import CalibrationState, ReliabilityCurve
from .calibration._sums import calibration_error_from_sums
from .counts._averaging import UndefinedMetricWarning
from .counts._formulas import (
    ACCURACY,
    BALANCED_ACCURACY,
    COHEN_KAPPA,
    JACCARD,
    MATTHEWS,
    NPV,
    PRECISION,
    RECALL,
    SPECIFICITY,
    YOUDEN,
    Formula,
    fbeta_formula,
    formula_by_name,
)
from .counts._groups import DEFAULT_MAX_SLICES
from .counts._set_input import TopK
from .counts._sliced import SlicedCounts
from .counts._state import MultilabelCounts
from .metrics._at_k import (
    TopKCounts,
    ndcg_at_k,
    precision_at_k,
    propensity_scores,
    psndcg_at_k,
    psprecision_at_k,
    recall_at_k,
)
from .metrics._conventions import convention_metrics, convention_scores
from .metrics._per_label import (
    balanced_accuracy_score,
    cohen_kappa_score,
    hamming_loss,
    hamming_score,
    label_accuracy,
    matthews_corrcoef,
    multilabel_confusion_matrix,
    npv_score,
    signed_to_binary,
    specificity_score,
    subset_accuracy,
)
from .metrics._set_based import f1_score, fbeta_score, jaccard_score, precision_score, recall_score
from .metrics._subset_and_report import classification_report, zero_one_loss
from .ranking._constraints import Constraint
from .ranking._curves import RankingCurves, precision_recall_curves, roc_curves
from .ranking._delong import DeLongComparison, DeLongInterval, delong_interval, delong_test
from .ranking._exact import (
    average_precision_score,
    coverage_error,
    label_ranking_average_precision_score,
    label_ranking_loss,
    roc_auc_score,
)
from .ranking._operating_points import (
    OperatingPoints,
    equal_error_rate,
    operating_points,
    precision_at_recall,
    recall_at_precision,
    sensitivity_at_specificity,
    specificity_at_sensitivity,
)
from .ranking._partial_and_dcg import dcg_score, ndcg_score
from .ranking._sketch import EdgeCounts, RankingEstimate, ScoreSketch
from .report._bands import ReliabilityBands, binomial_interval, reliability_bands
from .report._bootstrap import bootstrap_report
from .report._disparities import FAIRNESS_DEFINITIONS, GAPS, RATE_FORMULAS, Disparity, disparity
from .report._evaluate import (
    PER_LABEL_COLUMNS,
    RANKING_BOUND_COLUMNS,
    SUMMARY_METRICS,
    Report,
    evaluate,
    summarize_counts,
)
from .report._fairness import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    predictive_parity_difference,
    predictive_parity_ratio,
)
from .report._gates import GateResult, GateRule, Validation, validate
from .report._paired import PairedComparison, paired_bootstrap
from .report._sliced import SlicedReport
from .report._sliced_streaming import SlicedStreamingEvaluation
from .report._streaming import StreamingEvaluation

__all__ = [
    "ACCURACY",
    "BALANCED_ACCURACY",
    "COHEN_KAPPA",
    "DEFAULT_MAX_SLICES",
    "FAIRNESS_DEFINITIONS",
    "GAPS",
    "JACCARD",
    "MATTHEWS",
    "NPV",
    "PER_LABEL_COLUMNS",
    "PRECISION",
    "RANKING_BOUND_COLUMNS",
    "RATE_FORMULAS",
    "RECALL",
    "SPECIFICITY",
    "SUMMARY_METRICS",
    "YOUDEN",
    "CalibrationState",
    "Constraint",
    "DeLongComparison",
    "DeLongInterval",
    "Disparity",
    "EdgeCounts",
    "Formula",
    "GateResult",
    "GateRule",
    "InputError",
    "InputTypeError",
    "MultilabelCounts",
    "OperatingPoints",
    "PairedComparison",
    "RankingCurves",
    "RankingEstimate",
    "ReliabilityBands",
    "ReliabilityCurve",
    "Report",
    "ScoreSketch",
    "SlicedCounts",
    "SlicedReport",
    "SlicedStreamingEvaluation",
    "StreamingEvaluation",
    "TopK",
    "TopKCounts",
    "UndefinedMetricWarning",
    "Validation",
    "average_precision_score",
    "balanced_accuracy_score",
    "binomial_interval",
    "bootstrap_report",
    "brier_score",
    "calibration_curve",
    "calibration_error_from_sums",
    "classification_report",
    "cohen_kappa_score",
    "convention_metrics",
    "convention_scores",
    "coverage_error",
    "dcg_score",
    "delong_interval",
    "delong_test",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "disparity",
    "equal_error_rate",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "evaluate",
    "expected_calibration_error",
    "f1_score",
    "fbeta_formula",
    "fbeta_score",
    "formula_by_name",
    "hamming_loss",
    "hamming_score",
    "jaccard_score",
    "label_accuracy",
    "label_ranking_average_precision_score",
    "label_ranking_loss",
    "log_loss",
    "matthews_corrcoef",
    "max_calibration_error",
    "multilabel_confusion_matrix",
    "ndcg_at_k",
    "ndcg_score",
    "npv_score",
    "operating_points",
    "paired_bootstrap",
    "precision_at_k",
    "precision_at_recall",
    "precision_recall_curves",
    "precision_score",
    "predictive_parity_difference",
    "predictive_parity_ratio",
    "propensity_scores",
    "psndcg_at_k",
    "psprecision_at_k",
    "recall_at_k",
    "recall_at_precision",
    "recall_score",
    "reliability_bands",
    "roc_auc_score",
    "roc_curves",
    "sensitivity_at_specificity",
    "signed_to_binary",
    "specificity_at_sensitivity",
    "specificity_score",
    "subset_accuracy",
    "summarize_counts",
    "validate",
    "zero_one_loss",
]
