"""multilabel_attr: exact, fast, streaming multi-label classification metrics.

The top level re-exports the numpy-only core.  Subpackages that need optional
dependencies load on first use: `multilabel_attr.thresholds`,
`multilabel_attr.keras` (``tf`` extra), `multilabel_attr.datasets`,
`multilabel_attr.models` (``tf`` extra) and `multilabel_attr.plots`
(``plot`` extra).
"""

from .core import *  # noqa: F403
from .core import __all__ as _core_all

__version__ = "0.1.0"

__all__ = [*_core_all, "__version__"]
