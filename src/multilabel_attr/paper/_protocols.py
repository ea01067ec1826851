"""The reproduction's protocols: subset sizes, schedules and where data is cached."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

ProtocolName = Literal["paper", "quick", "smoke"]

MODEL_NAMES = ("CNN", "Transfer model")


@dataclass(frozen=True)
class Protocol:
    """Sizes and schedules of one reproduction protocol.

    Attributes
    ----------
    name : str
    cnn_subsets, transfer_subsets : (int, int, int)
        Train, validation and test images, the first ones of each split in file order.
    image_size : (int, int)
        Input height and width of both models.
    cnn_epochs : int
        Maximum CNN epochs (early stopping may end sooner).
    cnn_batch_size, transfer_batch_size : int
    transfer_epochs_frozen, transfer_epochs_fine_tune : int
    synthetic_images : int
        Size of the synthetic CelebA generated when no real data is given.
    bootstrap_resamples : int
    """

    name: str
    cnn_subsets: tuple[int, int, int]
    transfer_subsets: tuple[int, int, int]
    image_size: tuple[int, int]
    cnn_epochs: int
    cnn_batch_size: int
    transfer_epochs_frozen: int
    transfer_epochs_fine_tune: int
    transfer_batch_size: int
    synthetic_images: int
    bootstrap_resamples: int = 1000


PROTOCOLS: dict[str, Protocol] = {
    "paper": Protocol(
        name="paper",
        cnn_subsets=(40_000, 10_000, 10_000),
        transfer_subsets=(20_000, 5_000, 5_000),
        image_size=(150, 150),
        cnn_epochs=40,
        cnn_batch_size=128,
        transfer_epochs_frozen=20,
        transfer_epochs_fine_tune=10,
        transfer_batch_size=256,
        synthetic_images=202_599,
    ),
    "quick": Protocol(
        name="quick",
        cnn_subsets=(6_000, 1_000, 1_000),
        transfer_subsets=(1_500, 500, 500),
        image_size=(96, 96),
        cnn_epochs=8,
        cnn_batch_size=64,
        transfer_epochs_frozen=2,
        transfer_epochs_fine_tune=1,
        transfer_batch_size=64,
        synthetic_images=12_000,
    ),
    "smoke": Protocol(
        name="smoke",
        cnn_subsets=(96, 48, 48),
        transfer_subsets=(48, 32, 32),
        image_size=(72, 72),
        cnn_epochs=1,
        cnn_batch_size=32,
        transfer_epochs_frozen=1,
        transfer_epochs_fine_tune=1,
        transfer_batch_size=16,
        synthetic_images=600,
        bootstrap_resamples=100,
    ),
}
"""``paper``: the paper's subsets and schedules; ``quick``: the same steps scaled to
about 15 minutes on a 2-core CPU; ``smoke``: tiny, for tests."""


def default_cache_dir() -> Path:
    """``$MULTILABEL_ATTR_CACHE``, else ``~/.cache/multilabel_attr``."""
    env = os.environ.get("MULTILABEL_ATTR_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "multilabel_attr"



def scaled_protocol(base: ProtocolName, **changes: Any) -> Protocol:
    """A copy of a named protocol with some fields changed (for experiments)."""
    return replace(PROTOCOLS[base], **changes)
