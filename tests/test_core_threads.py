"""The library's one pool of threads: results in order, on a few threads, reused across calls,
safe from the pool itself and in a forked child."""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.core import _threads


@pytest.fixture
def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_threads, "worker_count", lambda n: max(1, min(2, n)))


def _rows(n: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(31)
    return rng.random((n, 40)) < 0.3, rng.random((n, 40), dtype=np.float32)


@pytest.mark.usefixtures("two_workers")
def test_items_come_back_in_order_from_two_reused_threads() -> None:
    seen: list[str] = []
    lock = threading.Lock()

    def task(item: int) -> int:
        with lock:
            seen.append(threading.current_thread().name)
        return item * item

    assert _threads.map_threads(task, list(range(7))) == [i * i for i in range(7)]
    pool = _threads._pool()
    assert all(name.startswith("multilabel_attr-worker") for name in seen)
    assert _threads.map_threads(task, list(range(3))) == [0, 1, 4]
    assert _threads._pool() is pool  # one pool for the process, not one per call
    assert _threads.map_threads(task, []) == []


@pytest.mark.usefixtures("two_workers")
def test_counting_from_inside_the_pool_runs_there_and_agrees() -> None:
    # Every pool thread asking the pool for threads again would wait forever: it counts itself.
    y_true, y_score = _rows()
    alone = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5)
    nested = _threads.map_threads(
        lambda _: ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5), [0, 1, 2]
    )
    assert all(counts == alone for counts in nested)


def _count_in_child(queue: Any, n: int = 20_000) -> None:
    y_true, y_score = _rows(n)
    queue.put(ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5).to_dict())


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)
@pytest.mark.usefixtures("two_workers")
def test_a_forked_child_starts_its_own_pool() -> None:
    y_true, y_score = _rows()
    parent = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5)
    assert os.getpid() in _threads._POOLS  # the parent's pool exists before the fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_count_in_child, args=(queue,))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 0, "the child hung or failed counting on its parent's pool"
    assert ml.MultilabelCounts.from_dict(queue.get(timeout=5)) == parent


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)
@pytest.mark.usefixtures("two_workers")
def test_a_child_forked_while_a_thread_starts_the_pool_can_still_count() -> None:
    # The thread holding the pool's lock at the fork does not exist in the child; the copy of
    # the lock it held must not stay held there.
    y_true, y_score = _rows(80_000)  # blocks enough for two threads
    parent = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5)
    _threads._POOLS.clear()  # the child must start its pool, taking the lock
    held, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with _threads._LOCK:
            held.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert held.wait(timeout=10)
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_count_in_child, args=(queue, 80_000))
        child.start()
        child.join(timeout=20)
        if child.exitcode is None:
            child.kill()
        assert child.exitcode == 0, "the child waited forever on the lock its parent held"
        assert ml.MultilabelCounts.from_dict(queue.get(timeout=5)) == parent
    finally:
        release.set()
        holder.join()
