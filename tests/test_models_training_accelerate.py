"""The training protocols under mixed precision, XLA and MirroredStrategy (small, 1 epoch)."""

from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from _two_cpus import run_on_two_cpus  # noqa: E402
from multilabel_attr.models import (  # noqa: E402
    build_paper_cnn,
    build_xception_transfer,
    train_cnn,
    train_transfer,
    transfer_base,
)

pytestmark = pytest.mark.tf

SHAPE = (34, 34, 3)
LABELS = 4


def batches(n: int = 24, shape: tuple[int, int, int] = SHAPE, size: int = 8) -> Any:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, *shape)).astype("float32")
    labels = (rng.random((n, LABELS)) < 0.4).astype("float32")
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(size)


def all_float32(model: keras.Model) -> bool:
    layers = [*model.layers]
    if any(layer.name == "base_inference_mode" for layer in layers):
        layers += transfer_base(model).layers
    return {layer.compute_dtype for layer in layers} == {"float32"}


@pytest.mark.parametrize(
    ("precision", "jit_compile"),
    [("mixed_float16", False), ("mixed_bfloat16", True), ("float32", True)],
)
def test_train_cnn_with_precision_and_xla(
    tmp_path: Path, precision: str, jit_compile: bool
) -> None:
    model = build_paper_cnn(SHAPE, LABELS, seed=0)
    before = model.get_weights()
    result = train_cnn(
        model, batches(), batches(), epochs=1, output_dir=tmp_path, verbose=0,
        precision=precision, jit_compile=jit_compile,
    )  # fmt: skip
    assert result.epochs == [0]
    assert all(math.isfinite(v[0]) for v in result.history.values())
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert all_float32(model)
    assert keras.mixed_precision.global_policy().name == "float32"
    assert {w.dtype for w in model.weights} == {"float32"}
    loaded = keras.saving.load_model(result.final_model, compile=False)
    x = next(iter(batches()))[0]
    assert loaded.predict(x, verbose=0).dtype == np.float32


@pytest.mark.slow
def test_train_transfer_mixed_precision_both_phases(tmp_path: Path) -> None:
    shape = (71, 71, 3)
    model = build_xception_transfer(shape, LABELS, weights=None)
    result = train_transfer(
        model, batches(16, shape), batches(16, shape), output_dir=tmp_path, epochs_frozen=1,
        epochs_fine_tune=1, verbose=0, precision="mixed_float16",
    )  # fmt: skip
    assert result.frozen.epochs == [0] and result.fine_tuned.epochs == [0]
    assert math.isfinite(result.fine_tuned.history["loss"][0])
    assert all_float32(model)
    assert keras.mixed_precision.global_policy().name == "float32"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("precision", "float16", "train_cnn: precision must be None or one of"),
        ("jit_compile", "yes", "train_cnn: jit_compile must be True, False or 'auto'"),
        ("strategy", "mirrored", r"train_cnn: strategy must be None \(the strategy the model"),
    ],
)
def test_bad_options_fail_before_any_file_is_written(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=message):
        train_cnn(
            build_paper_cnn(SHAPE, LABELS, seed=0), batches(), batches(), epochs=1,
            output_dir=out, verbose=0, **{option: value},
        )  # fmt: skip
    assert not out.exists()


MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from multilabel_attr.models import build_paper_cnn, global_batch_size, train_cnn

    out = sys.argv[1]
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (32, 34, 34, 3)).astype("float32")
    y = (rng.random((32, 4)) < 0.4).astype("float32")
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    batch = global_batch_size(8, strategy)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
    try:
        train_cnn(build_paper_cnn((34, 34, 3), 4, seed=0), data, data, epochs=1,
                  output_dir=out + "/outside", verbose=0, strategy=strategy)
        refused = None
    except ValueError as exc:
        refused = str(exc)
    runs = {}
    for name, chosen in (("mirrored", strategy), ("single", None)):
        scope = strategy.scope() if chosen is not None else tf.name_scope("single")
        with scope:
            model = build_paper_cnn((34, 34, 3), 4, seed=0)
        # strategy=None: the strategy the model was built under.
        result = train_cnn(model, data, data, epochs=1, output_dir=f"{out}/{name}", verbose=0,
                           precision="mixed_float16")
        assert model.distribute_strategy.num_replicas_in_sync == (2 if chosen else 1)
        runs[name] = {k: v[0] for k, v in result.history.items()}
    print("RESULT" + json.dumps({"batch": batch, "refused": refused, "runs": runs}))
    """
)


@pytest.mark.slow
def test_mirrored_strategy_on_two_cpus_trains_like_one_device(tmp_path: Path) -> None:
    result = run_on_two_cpus(MIRRORED_SCRIPT, str(tmp_path))
    assert result["batch"] == 16
    assert "strategy.scope()" in result["refused"]
    mirrored, single = result["runs"]["mirrored"], result["runs"]["single"]
    assert mirrored.keys() == single.keys()
    assert all(math.isfinite(value) for value in mirrored.values())
    # Same global batches and initial weights: the same step, up to reduction order.
    for name in ("loss", "val_loss"):
        assert mirrored[name] == pytest.approx(single[name], rel=1e-2), name
