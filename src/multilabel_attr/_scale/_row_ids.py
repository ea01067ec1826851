"""Row ids that repeat: found by a shuffle of the ids, so no machine holds them all.

The Poisson bootstrap draws each row's multiplicities from its id; two rows with the same id
draw the same ones, and the intervals come out too wide or too narrow without any sign.  Ids
that restart in every file are the usual cause.  The ids are sent to buckets by value (the
engine's shuffle, as for exact ranking), and each bucket sorts its own and reports repeats.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._columns import Block, ColumnError, ColumnSpec, block_from_arrow
from ._exact import ExplodePass, Offsets, ReducePass, bucket_count
from ._partition import rebatch

_EXAMPLES = 5


@dataclass(frozen=True)
class IdExplode(ExplodePass):
    """Every row id of a partition, in the cells' layout (the id in ``g``)."""

    def tables(self, batches: Iterable[Any], where: str) -> Iterable[Any]:
        import pyarrow as pa

        for item in rebatch(batches):
            block = (
                item if isinstance(item, Block)
                else block_from_arrow(item, self.spec, self.n_labels, where)
            )  # fmt: skip
            if block.row_id is None or block.n_rows == 0:
                continue
            ids = block.row_id
            yield pa.table({
                "bucket": (ids % self.n_buckets).astype(np.int32), "g": ids,
                "s": np.zeros(ids.size), "t": np.zeros(ids.size, bool), "w": np.zeros(ids.size),
            })  # fmt: skip


@dataclass(frozen=True)
class IdReduce(ReducePass):
    """The repeated ids of one bucket: how many, and a few of them."""

    def __call__(self, tables: Iterable[Any]) -> bytes:
        parts = [np.asarray(t.column("g").to_numpy(), np.int64) for t in tables if t.num_rows]
        ids = np.sort(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        repeated = np.unique(ids[1:][ids[1:] == ids[:-1]])
        buffer = io.BytesIO()
        np.savez(buffer, repeated=np.array(repeated.size), examples=repeated[:_EXAMPLES])
        return buffer.getvalue()


def check_unique_ids(engine: Any, spec: ColumnSpec, n_labels: int | None, n_rows: int) -> None:
    """Raise naming the id column and some repeated ids, if any id repeats."""
    if spec.row_id is None:
        return
    explode = IdExplode(spec, n_labels, n_buckets=bucket_count(n_rows))
    empty = np.zeros(0)
    payloads = engine.shuffle(explode, IdReduce(Offsets(empty, empty, empty)))
    count, examples = 0, []
    for payload in payloads:
        with np.load(io.BytesIO(payload), allow_pickle=False) as data:
            count += int(data["repeated"])
            examples += data["examples"].tolist()
    if count:
        shown = ", ".join(map(str, sorted(examples)[:_EXAMPLES]))
        raise ColumnError(
            f"column {spec.row_id!r} (row ids) repeats {count} value(s) in "
            f"{engine.describe()}, such as {shown}; rows that share an id draw the same "
            "bootstrap multiplicities, so every row needs an id of its own (ids that restart "
            "in every file are a common cause)"
        )
