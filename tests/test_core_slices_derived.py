"""Sliced counting over many small blocks: the slice derived as the whole block less the
others, and the slices found without sorting, equal counting each slice alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml
from multilabel_attr.core._group_keys import group_arrays
from multilabel_attr.core.counts import _counting, _groups
from multilabel_attr.core.counts._groups import factorize, slice_index


def _keys(rng: Any, n: int, n_slices: int, singles: int, contiguous: bool) -> Any:
    # Skewed sizes, a few slices of one row, and (contiguous) blocks that miss some slices.
    share = rng.random(n_slices) ** 3 + 1e-3
    keys = rng.choice(n_slices, n, p=share / share.sum())
    if contiguous:
        keys = np.sort(keys)
    spots = rng.choice(n, min(singles, n), replace=False)
    keys[spots] = n_slices + np.arange(spots.size)
    return keys


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 1_300),
    n_slices=st.sampled_from([1, 2, 3, 4, 7, 12]),
    singles=st.integers(0, 3),
    contiguous=st.booleans(),
    sliced_labels=st.booleans(),
)
def test_each_slice_over_small_blocks_equals_counting_it_alone(
    seed: int, n: int, n_slices: int, singles: int, contiguous: bool, sliced_labels: bool
) -> None:
    rng = np.random.default_rng(seed)
    n_labels = 9
    y_true = rng.random((n, n_labels)) < rng.uniform(0.05, 0.9)
    y_score = rng.random((n, n_labels)).astype(np.float32)
    keys = _keys(rng, n, n_slices, singles, contiguous)
    names = [f"l{j}" for j in range(n_labels)]
    with pytest.MonkeyPatch.context() as patch:
        # Blocks of 255 rows: the first block picks the derived slice, later ones may lack it.
        patch.setattr(_counting, "_BLOCK_CELLS", 16 * 255)
        if sliced_labels:
            state = ml.SlicedCounts(n_labels, label_names=names, slice_labels=["l0"])
            state.update(y_true, y_score, groups={"k": keys}, threshold=0.5)
        else:
            state = ml.SlicedCounts(n_labels, max_slices=100).update(
                y_true, y_score, groups=keys, threshold=0.5
            )
    kept = list(range(1, n_labels)) if sliced_labels else list(range(n_labels))
    assert sum(state.sizes.values()) == n
    for key, counts in state.items():
        rows = keys == key[0]
        if sliced_labels:
            rows &= y_true[:, 0] == key[1]
        truth, scores = y_true[rows][:, kept], y_score[rows][:, kept]
        pred = scores >= np.float32(0.5)
        # Hand-counted columns, then the whole state against counting the slice alone.
        np.testing.assert_array_equal(counts.tp, (truth & pred).sum(axis=0))
        np.testing.assert_array_equal(counts.fp, (~truth & pred).sum(axis=0))
        np.testing.assert_array_equal(counts.tn, (~truth & ~pred).sum(axis=0))
        assert counts == ml.MultilabelCounts.from_batch(truth, scores, threshold=0.5)
    whole = ml.MultilabelCounts.from_batch(y_true[:, kept], y_score[:, kept], threshold=0.5)
    assert state.overall == whole


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3_000),
    sizes=st.lists(st.sampled_from([1, 2, 3, 17, 300]), min_size=1, max_size=3),
)
def test_crossed_keys_are_numbered_as_sorting_the_key_tuples(
    seed: int, n: int, sizes: list[int]
) -> None:
    # Crossings of up to 300 * 300 * 300 combinations (numbered in 8, 16 and 64-bit
    # integers), most of them absent.
    rng = np.random.default_rng(seed)
    arrays = {f"f{i}": rng.integers(0, size, n) * 7 - 5 for i, size in enumerate(sizes)}
    index = slice_index(group_arrays(arrays), [], n, max_slices=n)
    rows = list(zip(*(a.tolist() for a in arrays.values())))
    n_slices = int(np.prod([np.unique(a).size for a in arrays.values()]))
    expected = sorted(set(rows))
    assert list(index.keys) == expected
    # Slice numbers in the smallest unsigned type that holds them (int64 past 16 bits).
    smallest = np.uint8 if n_slices <= 256 else np.uint16 if n_slices <= 65536 else np.int64
    assert index.codes.dtype == smallest
    position = {key: i for i, key in enumerate(expected)}
    np.testing.assert_array_equal(index.codes, [position[row] for row in rows])


@settings(max_examples=80, deadline=None)
@given(
    pool=st.lists(
        st.one_of(
            st.text(st.characters(max_codepoint=255), max_size=9),
            st.text(st.characters(max_codepoint=0xFFFF), max_size=5),
            st.text(max_size=3),
        ),
        min_size=1,
        max_size=18,
        unique=True,
    ),
    seed=st.integers(0, 10_000),
    n=st.integers(1, 300),
    chunk_rows=st.sampled_from([1, 7, 64, 1 << 16]),
)
def test_string_keys_packed_into_words_are_numbered_as_numpy_does(
    pool: list[str], seed: int, n: int, chunk_rows: int
) -> None:
    # Keys of up to 8 narrow code points are compared as one integer each: any width, code
    # points of 8 and 16 bits, NULs inside and trailing (which numpy drops), shared prefixes.
    # Small chunks of rows: keys first seen in late chunks, chunks packed with 8 and with 16
    # bits per code point (or not at all) in one array, more than 16 keys found mid-way.
    rng = np.random.default_rng(seed)
    pool = pool + [key + "\x00" for key in pool] + [key + "\x00a" for key in pool]
    keys = np.array(pool)[rng.integers(0, len(pool), n)]
    distinct, inverse = np.unique(keys, return_inverse=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_groups, "_CHUNK_ROWS", chunk_rows)
        found, codes = factorize(keys)
        # Up to 16 keys are numbered by comparisons (np.unique's sort only past them).
        assert (_groups._few_distinct(keys) is None) == (distinct.size > 16)
    assert found.tolist() == distinct.tolist()
    np.testing.assert_array_equal(codes, inverse.reshape(-1))


def test_a_key_seen_in_one_chunk_is_found_in_chunks_packed_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Chunks of two rows: "ab" is first seen in a chunk of 8-bit code points, then met in a
    # chunk packed with 16 bits per code point (beside a wide key) and in one too wide to
    # pack at all (compared column by column), and a wide key is looked for in 8-bit chunks.
    monkeypatch.setattr(_groups, "_CHUNK_ROWS", 2)
    keys = np.array(["ab", "cd", "ab", "\u0100z", "\U0001f600", "ab", "cd", "\u0100z", "ab"])
    distinct, inverse = np.unique(keys, return_inverse=True)
    numbered = _groups._few_distinct(keys)  # by comparisons, not by np.unique's sort
    assert numbered is not None
    found, codes = numbered
    assert found.tolist() == distinct.tolist()
    np.testing.assert_array_equal(codes, inverse)


def test_keys_numbered_in_sorted_order_after_the_first_chunk_and_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first chunk holds "m" then "c" (numbered 1, 0 once it is done); "a" and "x" come
    # later, so every number is moved again at the end.
    monkeypatch.setattr(_groups, "_CHUNK_ROWS", 3)
    keys = np.array(["m", "c", "m", "x", "c", "a", "m", "a"])
    distinct, inverse = np.unique(keys, return_inverse=True)
    found, codes = factorize(keys)
    assert found.tolist() == distinct.tolist() == ["a", "c", "m", "x"]
    np.testing.assert_array_equal(codes, inverse)
    # All keys in the first chunk: nothing is renumbered past it, and the numbers are sorted.
    keys = np.array(["y", "o", "y", "o", "o", "y", "y"])
    found, codes = factorize(keys)
    assert found.tolist() == ["o", "y"]
    np.testing.assert_array_equal(codes, (keys == "y").astype(np.uint8))
