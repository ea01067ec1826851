"""Framework-agnostic multi-label metrics (numpy only).

Stages: validation at the public boundary (``_validation``), one counting pass
(``_counting``), formulas as pure functions of counts (``_formulas``) and one
compute stage for averaging and zero division (``_averaging``).  The one-shot
functions (``_metrics``, ``_label_metrics``) and the streaming state (``_state``) share all of them.
"""

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
from .counts._set_input import TopK
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
from .ranking._delong import DeLongComparison, DeLongInterval, delong_interval, delong_test
from .ranking._exact import (
    average_precision_score,
    coverage_error,
    label_ranking_average_precision_score,
    label_ranking_loss,
    roc_auc_score,
)
from .ranking._partial_and_dcg import dcg_score, ndcg_score
from .ranking._sketch import EdgeCounts, RankingEstimate, ScoreSketch
from .report._bootstrap import PairedComparison, bootstrap_report, paired_bootstrap
from .report._evaluate import (
    PER_LABEL_COLUMNS,
    RANKING_BOUND_COLUMNS,
    SUMMARY_METRICS,
    Report,
    evaluate,
    summarize_counts,
)
from .report._streaming import StreamingEvaluation

__all__ = [
    "ACCURACY",
    "BALANCED_ACCURACY",
    "COHEN_KAPPA",
    "JACCARD",
    "MATTHEWS",
    "NPV",
    "PER_LABEL_COLUMNS",
    "PRECISION",
    "RANKING_BOUND_COLUMNS",
    "RECALL",
    "SPECIFICITY",
    "SUMMARY_METRICS",
    "YOUDEN",
    "DeLongComparison",
    "DeLongInterval",
    "EdgeCounts",
    "Formula",
    "MultilabelCounts",
    "PairedComparison",
    "RankingEstimate",
    "Report",
    "ScoreSketch",
    "StreamingEvaluation",
    "TopK",
    "TopKCounts",
    "UndefinedMetricWarning",
    "average_precision_score",
    "balanced_accuracy_score",
    "bootstrap_report",
    "classification_report",
    "cohen_kappa_score",
    "coverage_error",
    "dcg_score",
    "delong_interval",
    "delong_test",
    "evaluate",
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
    "matthews_corrcoef",
    "multilabel_confusion_matrix",
    "ndcg_at_k",
    "ndcg_score",
    "npv_score",
    "paired_bootstrap",
    "precision_at_k",
    "precision_score",
    "propensity_scores",
    "psndcg_at_k",
    "psprecision_at_k",
    "recall_at_k",
    "recall_score",
    "roc_auc_score",
    "signed_to_binary",
    "specificity_score",
    "subset_accuracy",
    "summarize_counts",
    "zero_one_loss",
]
