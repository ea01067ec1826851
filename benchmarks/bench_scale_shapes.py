"""The local Parquet engine on awkward shapes: many scalar columns, and exact ranking on scores
that take few values.

* ``columns``: the same labels and scores stored as ``--labels`` scalar columns each and as two
  list columns; the time of ``parquet.evaluate`` on each layout and their ratio (the scalar
  layout should cost a small constant factor, not one that grows with the columns).
* ``memory``: ``parquet.evaluate(ranking="exact")`` on scores that take five values, at
  0.2M, 1M and 2M rows, each in a fresh process; its peak memory (RSS) should stay flat.
* ``crowded``: the same on scores crowded into one sketch bin with distinct values
  (``0.5 + 1e-7 * noise``).  A reducer sorts at most ``CELLS_PER_BUCKET`` cells (4M by
  default), which these sizes do not reach with the default, so the run lowers it to
  ``--cells-per-bucket`` (64K): peak RSS should then stay flat in the rows, as it does when
  the crowded bin is cut into finer groups, and grow with them when the bin is held whole.

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

PEAK = """
def peak_mib():
    # VmHWM is this process's own peak: ru_maxrss would also count the parent's memory,
    # which the child inherits until it replaces its image (and which grows with the rows).
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
"""

MEASURE = PEAK + """
import sys, warnings
warnings.simplefilter("ignore")
from multilabel_attr import parquet
parquet.evaluate(sys.argv[1], "y", "s", ranking="exact", zero_division=0)
print(peak_mib())
"""


MEASURE_CROWDED = PEAK + """
import sys, warnings
warnings.simplefilter("ignore")
from multilabel_attr import parquet
from multilabel_attr._scale import _exact
_exact.CELLS_PER_BUCKET = int(sys.argv[2])
parquet.evaluate(sys.argv[1], "y", "s", ranking="exact", zero_division=0)
print(peak_mib())
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


def crowded(sizes: list[int], folder: Path, cells_per_bucket: int) -> None:
    rng = np.random.default_rng(1)
    for n_rows in sizes:
        truth = rng.random((n_rows, 4)) < 0.3
        scores = 0.5 + 1e-7 * rng.standard_normal((n_rows, 4))
        path = folder / f"crowded-{n_rows}.parquet"
        table = pa.table({"y": _lists(truth.astype(np.int8)), "s": _lists(scores)})
        pq.write_table(table, path, row_group_size=100_000)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", MEASURE_CROWDED, str(path),
                               str(cells_per_bucket)], capture_output=True, text=True,
                              check=True)  # fmt: skip
        seconds = time.perf_counter() - start
        print(f"exact ranking, {n_rows} rows x 4 labels crowded in one bin "
              f"({cells_per_bucket} cells per bucket): peak RSS "
              f"{float(done.stdout.split()[-1]):.0f} MiB, {seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["columns", "memory", "crowded"])
    parser.add_argument("--cells-per-bucket", type=int, default=1 << 16)
    args = parser.parse_args()
    sizes = [20_000, 100_000] if args.quick else [200_000, 1_000_000, 2_000_000]
    with tempfile.TemporaryDirectory() as folder:
        if args.only in (None, "columns"):
            columns(200 if args.quick else 2000, 2000, Path(folder))
        if args.only in (None, "memory"):
            memory(sizes, Path(folder))
        if args.only in (None, "crowded"):
            crowded(sizes, Path(folder), args.cells_per_bucket)


if __name__ == "__main__":
    main()
