"""The local Parquet engine on awkward shapes: many scalar columns, and exact ranking on scores
that take few values.

* ``columns``: the same labels and scores stored as ``--labels`` scalar columns each and as two
  list columns; the time of ``parquet.evaluate`` on each layout and their ratio (the scalar
  layout should cost a small constant factor, not one that grows with the columns).
* ``memory``: ``parquet.evaluate(ranking="exact")`` on scores that take five values, at
  ``--rows`` sizes, each in a fresh process; its peak memory (RSS) should stay flat.

Run:  python benchmarks/bench_scale_shapes.py              (2,000 columns; 0.2M, 1M, 2M rows)
      python benchmarks/bench_scale_shapes.py --quick      (small sizes)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from multilabel_attr import parquet

MEASURE = """
import resource, sys, warnings
warnings.simplefilter("ignore")
from multilabel_attr import parquet
parquet.evaluate(sys.argv[1], "y", "s", ranking="exact", zero_division=0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _lists(values: np.ndarray) -> pa.Array:
    return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), values.shape[1])


def columns(n_labels: int, n_rows: int, folder: Path) -> None:
    rng = np.random.default_rng(0)
    truth, scores = rng.random((n_rows, n_labels)) < 0.3, rng.random((n_rows, n_labels))
    labels, score_names = [f"y{j}" for j in range(n_labels)], [f"s{j}" for j in range(n_labels)]
    scalar = {name: truth[:, j] for j, name in enumerate(labels)}
    scalar |= {name: scores[:, j] for j, name in enumerate(score_names)}
    pq.write_table(pa.table(scalar), folder / "scalar.parquet", row_group_size=1000)
    table = pa.table({"y": _lists(truth.astype(np.int8)), "s": _lists(scores)})
    pq.write_table(table, folder / "list.parquet", row_group_size=1000)
    times = {}
    for name, (y, s) in {"scalar": (labels, score_names), "list": ("y", "s")}.items():
        start = time.perf_counter()
        parquet.evaluate(folder / f"{name}.parquet", y, s, ranking=False, zero_division=0)
        times[name] = time.perf_counter() - start
    print(f"{n_labels} labels x {n_rows} rows: {n_labels} scalar columns {times['scalar']:.2f} s, "
          f"one list column {times['list']:.2f} s, ratio {times['scalar'] / times['list']:.1f}")


def memory(sizes: list[int], folder: Path) -> None:
    rng = np.random.default_rng(0)
    for n_rows in sizes:
        truth = rng.random((n_rows, 4)) < 0.3
        scores = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0], size=(n_rows, 4))
        path = folder / f"few-{n_rows}.parquet"
        table = pa.table({"y": _lists(truth.astype(np.int8)), "s": _lists(scores)})
        pq.write_table(table, path, row_group_size=100_000)
        done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                              text=True, check=True)  # fmt: skip
        print(f"exact ranking, {n_rows} rows x 4 labels of five distinct scores: peak RSS "
              f"{float(done.stdout.split()[-1]):.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        columns(200 if args.quick else 2000, 2000, Path(folder))
        memory([20_000, 100_000] if args.quick else [200_000, 1_000_000, 2_000_000], Path(folder))


if __name__ == "__main__":
    main()
