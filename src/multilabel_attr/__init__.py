"""multilabel_attr: exact, fast, streaming multi-label classification metrics.

The top level re-exports the numpy-only core.  The other subpackages load on
first use, as attributes (``multilabel_attr.thresholds.optimize_thresholds``
works after a plain ``import multilabel_attr``) or by importing them:
`multilabel_attr.thresholds`, `multilabel_attr.calibration`, `multilabel_attr.keras` (``tf`` extra),
`multilabel_attr.datasets`, `multilabel_attr.models` (``tf`` extra),
`multilabel_attr.plots` (``plot`` extra), `multilabel_attr.paper`,
`multilabel_attr.cli` and the engines `multilabel_attr.parquet`,
`multilabel_attr.dask` and `multilabel_attr.spark` (which import pyarrow, Dask
or PySpark only when they read data).
"""

from __future__ import annotations

import importlib
from typing import Any

from .core import *  # noqa: F403
from .core import __all__ as _core_all

__version__ = "0.1.0"

__all__ = [*_core_all, "__version__"]

_SUBPACKAGES = frozenset(
    {
        "calibration", "cli", "core", "dask", "datasets", "keras", "models", "paper", "parquet",
        "plots", "spark", "thresholds",
    }
)


def __getattr__(name: str) -> Any:
    # Loading a subpackage binds it as an attribute, so this runs once per subpackage.
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBPACKAGES})
