"""The public metric functions over counts: set-based P/R/F, per-label binary metrics,
subset and report functions, and metrics at k."""
