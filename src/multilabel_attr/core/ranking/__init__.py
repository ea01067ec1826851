"""Orderings of scores: exact AUROC/AP and the label-ranking metrics, partial AUC and DCG,
and the fixed-memory `ScoreSketch` with its bin layout, bounds, cuts and JSON form."""
