"""Every docstring example in the package runs (modules whose optional dependencies are
missing are skipped; any other import error fails)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import multilabel_attr

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(multilabel_attr.__path__, prefix="multilabel_attr.")
    if not info.name.endswith("__main__")
)


OPTIONAL_DEPENDENCIES = frozenset(
    {"tensorflow", "keras", "sklearn", "matplotlib", "PIL", "tqdm", "google_crc32c", "scipy",
     "pyarrow", "pyspark", "dask", "distributed", "jax", "torch"}
)  # fmt: skip


def missing_optional_dependency(exc: ImportError) -> bool:
    """Whether ``exc`` reports a missing optional extra, not a broken import of the package."""
    missing = exc.name or ""
    return isinstance(exc, ModuleNotFoundError) and missing.split(".")[0] in OPTIONAL_DEPENDENCIES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:
        if not missing_optional_dependency(exc):
            raise  # an import error inside the package is a failure, never a skip
        pytest.skip(f"{name}: {exc}")
    with np.printoptions(legacy="1.25"):
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_only_missing_extras_are_skipped() -> None:
    assert missing_optional_dependency(ModuleNotFoundError("no tf", name="tensorflow"))
    assert missing_optional_dependency(ModuleNotFoundError("x", name="matplotlib.pyplot"))
    # A broken import inside the package, or of a name from a present module, must fail.
    assert not missing_optional_dependency(
        ModuleNotFoundError("x", name="multilabel_attr.core._gone")
    )
    assert not missing_optional_dependency(ImportError("cannot import name 'f'", name="numpy"))
