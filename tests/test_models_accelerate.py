"""Precision, XLA and strategy options: validation, policies set and restored, scopes."""

from __future__ import annotations

import os
import textwrap

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from _two_cpus import run_on_two_cpus  # noqa: E402
from multilabel_attr.models import (  # noqa: E402
    build_paper_cnn,
    build_xception_transfer,
    global_batch_size,
    model_precision,
    precision_policy,
    resolve_strategy,
    transfer_base,
)
from multilabel_attr.models._accelerate import (  # noqa: E402
    Acceleration,
    check_jit_compile,
    check_precision,
)

pytestmark = pytest.mark.tf


def compute_dtypes(model: keras.Model) -> dict[str, str]:
    return {layer.name: layer.compute_dtype for layer in model.layers}


@pytest.mark.parametrize("bad", ["float16", "mixed", 16, True])
def test_bad_precision_names_the_argument(bad: object) -> None:
    with pytest.raises(ValueError, match=r"train_cnn: precision must be None or one of"):
        check_precision(bad, "train_cnn")


@pytest.mark.parametrize("bad", ["yes", None, 1, "xla"])
def test_bad_jit_compile_names_the_argument(bad: object) -> None:
    with pytest.raises(ValueError, match="train_cnn: jit_compile must be True, False or 'auto'"):
        check_jit_compile(bad, "train_cnn")


def test_bad_strategy_names_the_argument() -> None:
    with pytest.raises(ValueError, match="train_cnn: strategy must be None, one of"):
        resolve_strategy("tpu", who="train_cnn")


def test_defaults_on_a_cpu_are_one_replica_without_xla() -> None:
    model = build_paper_cnn((34, 34, 3), 3, seed=0)
    accel = Acceleration.from_args(model, None, False, None, "train_cnn")
    assert accel.to_config() == {
        "precision": None,
        "jit_compile": False,
        "strategy": type(tf.distribute.get_strategy()).__name__,
        "replicas": 1,
    }
    if not tf.config.list_logical_devices("GPU"):
        assert resolve_strategy("auto") is tf.distribute.get_strategy()
    assert global_batch_size(128) == 128
    with pytest.raises(ValueError, match="per_replica"):
        global_batch_size(0)


def test_precision_policy_restores_the_global_policy_even_on_error() -> None:
    assert keras.mixed_precision.global_policy().name == "float32"
    seen = []

    def fail_inside() -> None:
        with precision_policy("mixed_bfloat16"):
            seen.append(keras.mixed_precision.global_policy().name)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    assert seen == ["mixed_bfloat16"]
    assert keras.mixed_precision.global_policy().name == "float32"
    with precision_policy(None):
        assert keras.mixed_precision.global_policy().name == "float32"


def test_builders_keep_the_output_layer_float32_under_a_mixed_policy() -> None:
    with precision_policy("mixed_float16"):
        cnn = build_paper_cnn((34, 34, 3), 3, seed=0)
        transfer = build_xception_transfer((71, 71, 3), 3, weights=None)
    for model in (cnn, transfer):
        dtypes = compute_dtypes(model)
        assert dtypes.pop("labels") == "float32"
        dtypes.pop("pixels")  # the input layer follows the global policy
        assert set(dtypes.values()) == {"float16"}
        scores = model.predict(np.zeros((2, *model.input_shape[1:]), "float32"), verbose=0)
        assert scores.dtype == np.float32
    assert transfer_base(transfer).layers[1].compute_dtype == "float16"


def test_model_precision_switches_in_place_and_restores() -> None:
    model = build_xception_transfer((71, 71, 3), 3, weights=None)
    base = transfer_base(model)
    before = model.get_weights()
    with model_precision(model, "mixed_float16") as same:
        assert same is model
        assert model.get_layer("labels").compute_dtype == "float32"
        assert model.get_layer("avg_pool").compute_dtype == "float16"
        assert {layer.compute_dtype for layer in base.layers[1:]} == {"float16"}
        assert model.dtype_policy.name == "mixed_float16"
        x = np.full((2, 71, 71, 3), 128.0, "float32")
        assert model(x).dtype == tf.float32
    assert model.dtype_policy.name == "float32"
    assert {layer.compute_dtype for layer in base.layers} == {"float32"}
    assert set(compute_dtypes(model).values()) == {"float32"}
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert {w.dtype for w in model.weights} == {"float32"}


def test_model_precision_retraces_steps_traced_before() -> None:
    model = build_paper_cnn((34, 34, 3), 3, seed=0)
    x = np.random.default_rng(1).integers(0, 256, (8, 34, 34, 3)).astype("float32")
    reference = model.predict(x, verbose=0)
    with model_precision(model, "mixed_float16"):
        mixed = model.predict(x, verbose=0)
    after = model.predict(x, verbose=0)
    assert mixed.dtype == np.float32
    assert 0 < np.max(np.abs(mixed - reference)) < 0.05  # float16 compute, not the old trace
    np.testing.assert_array_equal(after, reference)


def test_training_in_a_mixed_precision_block_updates_the_models_weights() -> None:
    model = build_paper_cnn((34, 34, 3), 3, seed=0)
    set_before = [w.copy() for w in model.get_weights()]
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (16, 34, 34, 3)).astype("float32")
    y = (rng.random((16, 3)) < 0.5).astype("float32")
    with model_precision(model, "mixed_float16"):
        model.compile(optimizer="adam", loss="binary_crossentropy")
        assert type(model.optimizer).__name__ == "LossScaleOptimizer"
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    changed = [not np.array_equal(a, b) for a, b in zip(set_before, model.get_weights())]
    assert all(changed)


ACCEL_SCRIPT = textwrap.dedent(
    """
    import json
    from multilabel_attr.models import build_paper_cnn, global_batch_size
    from multilabel_attr.models._accelerate import Acceleration

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    outside = build_paper_cnn((34, 34, 3), 3, seed=0)
    try:
        Acceleration.from_args(outside, None, False, strategy, "train_cnn")
        error = None
    except ValueError as exc:
        error = str(exc)
    with strategy.scope():
        inside = build_paper_cnn((34, 34, 3), 3, seed=0)
    accel = Acceleration.from_args(inside, "mixed_float16", True, strategy, "train_cnn")
    print("RESULT" + json.dumps({
        "error": error, "config": accel.to_config(),
        "global": global_batch_size(64, strategy),
    }))
    """
)


@pytest.mark.slow
def test_mirrored_strategy_checks_scope_and_scales_the_batch() -> None:
    result = run_on_two_cpus(ACCEL_SCRIPT)
    assert "build the model inside `with strategy.scope():`" in result["error"]
    assert result["config"] == {
        "precision": "mixed_float16",
        "jit_compile": True,
        "strategy": "MirroredStrategy",
        "replicas": 2,
    }
    assert result["global"] == 128
