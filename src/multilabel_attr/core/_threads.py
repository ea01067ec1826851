"""One pool of threads for the library's blocked numpy loops (numpy releases the GIL in them).

Starting threads costs about half a millisecond a call, a quarter of counting 30k rows, so the
pool lives as long as the process.  A forked child starts its own (its parent's threads do not
exist in it), and a task running on the pool that asks for threads again runs its items itself:
waiting on the pool from the pool could leave every thread waiting.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

_MAX_WORKERS = 4
_PREFIX = "multilabel_attr-worker"
_LOCK = threading.Lock()
_POOLS: dict[int, Any] = {}


def _new_lock_in_child() -> None:
    """A forked child gets a free lock: a parent's thread holding it at the fork does not exist
    in the child, so the copy would stay held and the child's first `_pool` would wait
    forever."""
    global _LOCK
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_new_lock_in_child)

Item = TypeVar("Item")
Result = TypeVar("Result")


def worker_count(n_tasks: int) -> int:
    """Threads to use for ``n_tasks`` independent blocks: at most the cores this process may
    run on, and 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not available on macOS / Windows
        cores = os.cpu_count() or 1
    return max(1, min(cores, _MAX_WORKERS, n_tasks))


def _pool() -> Any:
    """This process's pool, started on first use (loaded then: importing stays cheap)."""
    pid = os.getpid()
    with _LOCK:
        pool = _POOLS.get(pid)
        if pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _POOLS.clear()  # a parent's pool, inherited by fork: its threads are not here
            pool = _POOLS[pid] = ThreadPoolExecutor(_MAX_WORKERS, thread_name_prefix=_PREFIX)
    return pool


def map_threads(task: Callable[[Item], Result], items: Sequence[Item]) -> list[Result]:
    """``task(item)`` for every item, in order, on at most `worker_count` threads: each
    thread takes every ``workers``-th item."""
    workers = worker_count(len(items))
    if workers == 1 or threading.current_thread().name.startswith(_PREFIX):
        return [task(item) for item in items]

    def share(first: int) -> list[Result]:
        return [task(item) for item in items[first::workers]]

    results: list[Any] = [None] * len(items)
    for first, done in enumerate(_pool().map(share, range(workers))):
        results[first::workers] = done
    return results
