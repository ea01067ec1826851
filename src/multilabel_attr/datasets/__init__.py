"""Datasets for multi-label attribute classification.

`multilabel_attr.datasets.celeba` reads CelebA (real or synthetic) and converts it to sharded
TFRecords; importing it does not import TensorFlow.
"""

from . import celeba

__all__ = ["celeba"]
