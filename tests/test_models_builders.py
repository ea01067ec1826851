"""Architectures of the paper's CNN and Xception transfer model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from multilabel_attr.models import (  # noqa: E402
    XCEPTION_NOTOP_FILENAME,
    InferenceModeBase,
    build_paper_cnn,
    build_xception_transfer,
    count_trainable_params,
    imagenet_weights_path,
    set_base_trainable,
    transfer_base,
)

pytestmark = pytest.mark.tf

# Hand count of the paper's CNN: conv (3*3*c_in*c_out + c_out) and dense (n_in*n_out + n_out).
_CONVS = [(3, 32), (32, 32), (32, 32), (32, 32), (32, 64), (64, 64), (64, 64), (64, 64),
          (64, 128), (128, 128)]  # fmt: skip
_DENSES = [(4 * 4 * 128, 512), (512, 512), (512, 40)]
PAPER_CNN_PARAMS = sum(9 * a * b + b for a, b in _CONVS) + sum(a * b + b for a, b in _DENSES)


@pytest.fixture(scope="module")
def xception() -> keras.Model:
    # Building Xception takes seconds: one model for the whole module, reset after each use.
    return build_xception_transfer(weights=None)


def test_hand_count_matches_paper() -> None:
    assert PAPER_CNN_PARAMS == 1_711_624


def test_paper_cnn_parameter_count_and_layers() -> None:
    model = build_paper_cnn()
    assert count_trainable_params(model) == 1_711_624
    assert model.count_params() == 1_711_624  # nothing non-trainable: no batch norm
    assert model.input_shape == (None, 150, 150, 3)
    assert model.output_shape == (None, 40)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [b for _, b in _CONVS]
    assert [c.padding for c in convs] == ["valid"] + ["same"] * 9
    assert all(c.kernel_size == (3, 3) for c in convs)
    assert all(type(c.kernel_initializer).__name__ == "HeUniform" for c in convs)
    assert model.get_layer("flatten").output.shape[-1] == 2048
    assert not any(
        isinstance(layer, (keras.layers.Dropout, keras.layers.BatchNormalization))
        for layer in model.layers
    )
    assert model.layers[-1].activation.__name__ == "sigmoid"


def test_paper_cnn_scales_raw_pixels_inside() -> None:
    model = build_paper_cnn((34, 34, 3), num_labels=2, seed=1)
    rescale = model.get_layer("rescale")
    pixels = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    np.testing.assert_allclose(np.asarray(rescale(pixels)), [[[[0.0, 0.5, 1.0]]]], atol=1e-7)


def test_paper_cnn_seed_is_reproducible() -> None:
    a = build_paper_cnn((34, 34, 3), num_labels=2, seed=3).get_weights()
    b = build_paper_cnn((34, 34, 3), num_labels=2, seed=3).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    # Layers get distinct seeds: two equally shaped kernels must differ.
    assert not np.array_equal(a[2], a[4])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"input_shape": (33, 34, 3)}, ValueError, "at least 34"),
        ({"input_shape": (34, 34)}, TypeError, "three ints"),
        ({"input_shape": (34.0, 34, 3)}, TypeError, "three ints"),
        ({"num_labels": 0}, ValueError, "num_labels"),
        ({"num_labels": True}, TypeError, "num_labels"),
    ],
)
def test_paper_cnn_rejects_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        build_paper_cnn(**kwargs)  # type: ignore[arg-type]


def test_xception_parameter_counts(xception: keras.Model) -> None:
    assert xception.count_params() == 20_943_440
    assert count_trainable_params(xception) == 81_960
    assert xception.output_shape == (None, 40)
    try:
        assert set_base_trainable(xception, True) == 20_888_912
        assert count_trainable_params(xception) == 20_888_912
        assert set_base_trainable(xception, False) == 81_960
    finally:
        set_base_trainable(xception, False)


def test_xception_structure(xception: keras.Model) -> None:
    names = [layer.name for layer in xception.layers]
    assert names == ["pixels", "rescale", "base_inference_mode", "avg_pool", "dropout", "labels"]
    assert transfer_base(xception).name == "xception"
    rescale = xception.get_layer("rescale")
    pixels = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    np.testing.assert_allclose(np.asarray(rescale(pixels)), [[[[-1.0, 0.0, 1.0]]]], atol=1e-6)
    assert xception.get_layer("dropout").rate == pytest.approx(0.2)
    assert xception.get_layer("labels").activation.__name__ == "sigmoid"
    # The base is called with training=False: BatchNorm stays in inference mode even when the
    # base is unfrozen, so the pooled features do not depend on the training flag.
    features = keras.Model(xception.input, xception.get_layer("avg_pool").output)
    images = np.random.default_rng(0).uniform(0, 255, (2, 150, 150, 3)).astype("float32")
    try:
        set_base_trainable(xception, True)
        np.testing.assert_allclose(
            np.asarray(features(images, training=True)),
            np.asarray(features(images, training=False)),
            rtol=1e-5,
            atol=1e-6,
        )
    finally:
        set_base_trainable(xception, False)


def test_set_base_trainable_from_layer(xception: keras.Model) -> None:
    base = transfer_base(xception)
    try:
        partial = set_base_trainable(xception, True, from_layer="block14_sepconv1")
        head = 81_960
        tail = sum(
            count_trainable_params_of(layer)
            for layer in base.layers[[la.name for la in base.layers].index("block14_sepconv1") :]
        )
        assert partial == head + tail
        assert head < partial < 20_888_912
        assert not base.get_layer("block1_conv1").trainable
        assert base.get_layer("block14_sepconv2").trainable
        by_index = set_base_trainable(xception, True, from_layer=-len(base.layers))
        assert by_index == 20_888_912
        with pytest.raises(ValueError, match="not a layer"):
            set_base_trainable(xception, True, from_layer="no_such_layer")
        with pytest.raises(ValueError, match="out of range"):
            set_base_trainable(xception, True, from_layer=10_000)
        with pytest.raises(ValueError, match="only applies when unfreezing"):
            set_base_trainable(xception, False, from_layer=3)
        with pytest.raises(TypeError, match="trainable must be a bool"):
            set_base_trainable(xception, 1)  # type: ignore[arg-type]
    finally:
        set_base_trainable(xception, False)


def count_trainable_params_of(layer: keras.layers.Layer) -> int:
    return int(sum(np.prod(w.shape) for w in layer.trainable_weights))


def test_set_base_trainable_needs_a_base() -> None:
    with pytest.raises(ValueError, match="nested base model"):
        set_base_trainable(build_paper_cnn((34, 34, 3), num_labels=2), True)


def test_imagenet_weights_absent_gives_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    with pytest.raises(FileNotFoundError) as info:
        build_xception_transfer(weights="imagenet")
    message = str(info.value)
    expected = tmp_path / "keras_home" / "models" / XCEPTION_NOTOP_FILENAME
    assert str(expected) in message
    assert "never downloads" in message
    assert "KERAS_HOME" in message
    assert "weights=None" in message
    assert not (tmp_path / "keras_home" / "models").exists()  # nothing created or fetched


def test_imagenet_weights_default_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path / ".keras" / "models")):
        imagenet_weights_path()


def test_imagenet_weights_corrupt_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / XCEPTION_NOTOP_FILENAME).write_bytes(b"truncated download")
    with pytest.raises(ValueError, match="MD5"):
        build_xception_transfer(weights="imagenet")


def test_missing_weights_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.weights.h5"
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        build_xception_transfer(weights=missing)
    assert str(missing) in str(info.value)
    with pytest.raises(TypeError, match="weights must be"):
        build_xception_transfer(weights=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_shape": (70, 71, 3)}, "at least 71"),
        ({"input_shape": (71, 71, 1)}, "3 input channels"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"num_labels": -1}, "num_labels"),
    ],
)
def test_xception_rejects_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_xception_transfer(weights=None, **kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_weights_path_is_loaded_into_base(tmp_path: Path) -> None:
    source = build_xception_transfer((71, 71, 3), num_labels=2, weights=None)
    path = tmp_path / "base.weights.h5"
    transfer_base(source).save_weights(path)
    loaded = build_xception_transfer((71, 71, 3), num_labels=2, weights=path)
    for a, b in zip(
        transfer_base(source).get_weights(),
        transfer_base(loaded).get_weights(),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_transfer_model_round_trips_through_keras_file(tmp_path: Path) -> None:
    model = build_xception_transfer((71, 71, 3), num_labels=3, weights=None)
    set_base_trainable(model, True, from_layer="block13_sepconv1")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, compile=False)
    assert isinstance(loaded.get_layer("base_inference_mode"), InferenceModeBase)
    assert count_trainable_params(loaded) == count_trainable_params(model)
    images = np.random.default_rng(0).uniform(0, 255, (2, 71, 71, 3)).astype("float32")
    np.testing.assert_allclose(
        loaded.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6
    )


@pytest.mark.slow
def test_fit_keeps_xception_batch_norm_statistics() -> None:
    # Under Keras 3 a bare base(x, training=False) would be overridden by fit's training=True
    # and these moving statistics would move; the wrapper keeps them fixed while the
    # unfrozen scale (gamma) is trained.
    model = build_xception_transfer((71, 71, 3), num_labels=2, weights=None)
    set_base_trainable(model, True)
    bn = transfer_base(model).get_layer("block1_conv1_bn")
    moving_mean, moving_var = bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()
    gamma = bn.gamma.numpy().copy()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    images = np.random.default_rng(0).uniform(0, 255, (4, 71, 71, 3)).astype("float32")
    model.fit(images, np.ones((4, 2), "float32"), epochs=1, batch_size=4, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving_mean)
    np.testing.assert_array_equal(bn.moving_variance.numpy(), moving_var)
    assert not np.array_equal(bn.gamma.numpy(), gamma)
