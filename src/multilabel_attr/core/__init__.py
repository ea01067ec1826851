"""Framework-agnostic multi-label metrics (numpy only).

Stages: validation at the public boundary (``_validation``), one counting pass
(``_counting``), formulas as pure functions of counts (``_formulas``) and one
compute stage for averaging and zero division (``_averaging``).  The one-shot
functions (``_metrics``, ``_label_metrics``) and the streaming state (``_state``) share all of them.
"""

from ._averaging import UndefinedMetricWarning
from ._bootstrap import PairedComparison, bootstrap_report, paired_bootstrap
from ._formulas import (
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
from ._label_metrics import (
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
from ._metrics import f1_score, fbeta_score, jaccard_score, precision_score, recall_score
from ._ranking import (
    average_precision_score,
    coverage_error,
    label_ranking_average_precision_score,
    label_ranking_loss,
    roc_auc_score,
)
from ._ranking_extras import dcg_score, ndcg_score
from ._report import (
    PER_LABEL_COLUMNS,
    RANKING_BOUND_COLUMNS,
    SUMMARY_METRICS,
    Report,
    evaluate,
    summarize_counts,
)
from ._sketch import EdgeCounts, RankingEstimate, ScoreSketch
from ._sklearn_extras import classification_report, zero_one_loss
from ._sparse import TopK
from ._state import MultilabelCounts
from ._streaming import StreamingEvaluation
from ._topk import (
    TopKCounts,
    ndcg_at_k,
    precision_at_k,
    propensity_scores,
    psndcg_at_k,
    psprecision_at_k,
    recall_at_k,
)

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
