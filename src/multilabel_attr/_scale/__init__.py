"""Evaluation and tuning over partitioned data: the code every engine shares."""
