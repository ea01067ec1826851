"""The ``>>>`` examples in the core's docstrings run and give the documented output."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import multilabel_attr.core

MODULES = sorted(
    f"multilabel_attr.core.{info.name}"
    for info in pkgutil.iter_modules(multilabel_attr.core.__path__)
)


@pytest.mark.parametrize("name", ["multilabel_attr.core", *MODULES])
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_the_metric_functions_have_examples() -> None:
    finder = doctest.DocTestFinder()
    documented = set()
    for name in MODULES:
        for test in finder.find(importlib.import_module(name)):
            if test.examples:
                documented.add(test.name.rsplit(".", 1)[-1])
    public = {
        name
        for name in multilabel_attr.core.__all__
        if callable(getattr(multilabel_attr.core, name))
        and name[0].islower()
        and name != "fbeta_formula"
    }
    assert public - documented == set()
