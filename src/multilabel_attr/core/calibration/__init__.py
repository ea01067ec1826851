"""Calibration of per-label probabilities: how far a score can be read as a probability.

Per label, per bin sums (weight, sum of scores, sum of labels) and the running
Brier and log-loss sums are the whole state; every calibration metric is a pure
function of them
([`calibration_error_from_sums`][multilabel_attr.calibration_error_from_sums]).
"""
