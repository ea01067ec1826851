"""Every docstring example in the package runs (modules whose optional dependencies are
missing are skipped)."""

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


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional dependency (tf, sklearn, matplotlib) is missing
        pytest.skip(f"{name}: {exc}")
    with np.printoptions(legacy="1.25"):
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
