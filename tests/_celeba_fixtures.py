"""Fixtures shared by the tests of converted CelebA folders: a small synthetic set, converted."""

from __future__ import annotations

from pathlib import Path

import pytest

from multilabel_attr.datasets import celeba


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> celeba.CelebAFiles:
    return celeba.make_synthetic(tmp_path_factory.mktemp("src"), 30, seed=11, workers=0)


@pytest.fixture(scope="module")
def converted(source: celeba.CelebAFiles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    celeba.convert(source.root, out, shards=2, workers=0, progress=False)
    return out
