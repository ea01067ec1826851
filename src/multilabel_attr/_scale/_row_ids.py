"""Row ids that repeat: found by a shuffle of the ids, so no machine holds them all.

The Poisson bootstrap draws each row's multiplicities from its id; two rows with the same id
draw the same ones, and the intervals come out too wide or too narrow without any sign.  Ids
that restart in every file are the usual cause.  The ids are sent to buckets by value (the
engine's shuffle, as for exact ranking), and each bucket sorts its own and reports repeats.
This pass reads the input a second time, so it also carries the fingerprint of what it read
(as exact ranking does), for the bootstrap to compare with its count pass's.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._columns import Block, ColumnError, ColumnSpec, block_from_arrow
from ._exact import (
    ExplodePass,
    Offsets,
    ReducePass,
    bucket_count,
    fingerprint_rows,
    read_fingerprint_rows,
)
from ._fingerprint import Fingerprint, block_fingerprint
from ._partition import rebatch

_EXAMPLES = 5


@dataclass(frozen=True)
class IdExplode(ExplodePass):
    """Every row id of a partition, in the cells' layout (the id in ``g``), and each block's
    fingerprint in two rows marked ``t`` (ids are any integers, so no ``g`` is free)."""

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
            kind, high, _, low = fingerprint_rows(block_fingerprint(block))
            yield pa.table({
                "bucket": np.append(ids % self.n_buckets, [0, 0]).astype(np.int32),
                "g": np.append(ids, kind), "s": np.append(np.zeros(ids.size), high),
                "t": np.append(np.zeros(ids.size, bool), [True, True]),
                "w": np.append(np.zeros(ids.size), low),
            })  # fmt: skip


@dataclass(frozen=True)
class IdReduce(ReducePass):
    """The repeated ids of one bucket: how many, and a few of them; and the fingerprint of
    the blocks whose marks it holds."""

    def __call__(self, tables: Iterable[Any]) -> bytes:
        import pyarrow as pa

        parts = [t if isinstance(t, pa.Table) else pa.table(t) for t in tables if t.num_rows]
        ids, seen = np.zeros(0, np.int64), Fingerprint()
        if parts:
            table = pa.concat_tables(parts)
            marked = np.asarray(table.column("t").to_numpy(zero_copy_only=False), bool)
            table, seen = read_fingerprint_rows(table, marked)
            ids = np.sort(np.asarray(table.column("g").to_numpy(), np.int64))
        repeated = np.unique(ids[1:][ids[1:] == ids[:-1]])
        buffer = io.BytesIO()
        np.savez(buffer, repeated=np.array(repeated.size), examples=repeated[:_EXAMPLES],
                 **seen.arrays())  # fmt: skip
        return buffer.getvalue()


def check_unique_ids(
    engine: Any, spec: ColumnSpec, n_labels: int | None, n_rows: int
) -> Fingerprint | None:
    """Raise naming the id column and some repeated ids, if any id repeats; return the
    fingerprint of the rows this pass read (None: no id column, no pass)."""
    if spec.row_id is None:
        return None
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
    return Fingerprint.of_payloads(payloads)
