"""Mixed precision, XLA and ``tf.distribute`` options of the training functions.

The options change how fast a step runs, never what the protocol computes: the output layer
stays float32 under mixed precision, so the loss and every metric are computed in float32
on float32 probabilities.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union

import keras
import tensorflow as tf

from ..core._validation import check_int
from ._layers import InferenceModeBase

__all__ = [
    "PRECISIONS",
    "Acceleration",
    "JitCompile",
    "Precision",
    "global_batch_size",
    "model_precision",
    "precision_policy",
    "resolve_strategy",
]

Precision = Literal["float32", "mixed_float16", "mixed_bfloat16"]
JitCompile = Union[bool, Literal["auto"]]  # noqa: UP007 (a runtime alias on Python 3.10)

#: Keras dtype policies accepted by ``precision``.
PRECISIONS: tuple[Precision, ...] = ("float32", "mixed_float16", "mixed_bfloat16")

_STRATEGY_NAMES = ("default", "mirrored", "auto")


def check_precision(value: Any, who: str) -> Precision | None:
    """``value`` if it names a supported policy (or is ``None``), else a clear error."""
    if value is None:
        return None
    if isinstance(value, str) and value in PRECISIONS:
        result: Precision = value
        return result
    raise ValueError(f"{who}: precision must be None or one of {PRECISIONS}; received {value!r}")


def check_jit_compile(value: Any, who: str) -> JitCompile:
    """``value`` if it is a bool or ``'auto'``, else a clear error."""
    if isinstance(value, bool) or value == "auto":
        result: JitCompile = value
        return result
    raise ValueError(f"{who}: jit_compile must be True, False or 'auto'; received {value!r}")


def resolve_strategy(
    strategy: Any = None, *, who: str = "resolve_strategy"
) -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy meant by a training function's ``strategy`` argument.

    Parameters
    ----------
    strategy
        ``None`` or ``"default"``: the strategy in scope (TensorFlow's default one outside any
        ``strategy.scope()``: one device, nothing distributed). ``"mirrored"``: a new
        ``tf.distribute.MirroredStrategy`` over every visible GPU (the CPU when there is none).
        ``"auto"``: ``MirroredStrategy`` with two or more GPUs, a ``OneDeviceStrategy`` on the
        GPU with one (its input pipeline prefetches batches to the GPU), the default strategy
        otherwise. A ``tf.distribute.Strategy`` object is returned as is.
    who
        Name used in error messages.

    Returns
    -------
    tf.distribute.Strategy

    Raises
    ------
    ValueError
        For any other value.

    Examples
    --------
    >>> from multilabel_attr.models import resolve_strategy
    >>> resolve_strategy("default").num_replicas_in_sync
    1
    """
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy is None or strategy == "default":
        return tf.distribute.get_strategy()
    if strategy == "mirrored":
        return tf.distribute.MirroredStrategy()
    if strategy == "auto":
        gpus = tf.config.list_logical_devices("GPU")
        if len(gpus) > 1:
            return tf.distribute.MirroredStrategy()
        if len(gpus) == 1:
            return tf.distribute.OneDeviceStrategy(gpus[0].name)
        return tf.distribute.get_strategy()
    raise ValueError(
        f"{who}: strategy must be None, one of {_STRATEGY_NAMES} or a tf.distribute.Strategy; "
        f"received {strategy!r}"
    )


def global_batch_size(per_replica: int, strategy: Any = None) -> int:
    """Batch size to give the input pipeline: ``per_replica`` times the number of replicas.

    ``tf.distribute`` splits each batch of the dataset across the replicas, so every device
    sees ``per_replica`` images per step, as it would training alone.

    Parameters
    ----------
    per_replica
        Images per device and step (the protocol's batch size).
    strategy
        As in [`resolve_strategy`][multilabel_attr.models.resolve_strategy].

    Returns
    -------
    int

    Examples
    --------
    >>> from multilabel_attr.models import global_batch_size
    >>> global_batch_size(128)
    128
    """
    size = check_int(per_replica, "global_batch_size: per_replica", minimum=1)
    return size * int(resolve_strategy(strategy, who="global_batch_size").num_replicas_in_sync)


@contextlib.contextmanager
def precision_policy(precision: Precision | None) -> Iterator[None]:
    """Set Keras's global dtype policy for the block, then restore the previous one.

    Layers built inside the block compute in ``precision``; the model builders of this
    package keep their output layer in float32 whatever the policy. ``None`` changes nothing.

    Examples
    --------
    >>> import keras
    >>> from multilabel_attr.models import precision_policy
    >>> with precision_policy("mixed_float16"):
    ...     keras.mixed_precision.global_policy().name
    'mixed_float16'
    >>> keras.mixed_precision.global_policy().name
    'float32'
    """
    chosen = check_precision(precision, "precision_policy")
    if chosen is None:
        yield
        return
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(chosen)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _output_layers(model: keras.Model) -> set[int]:
    layers = set()
    for tensor in getattr(model, "outputs", None) or []:
        history = getattr(tensor, "_keras_history", None)
        if history is not None:
            layers.add(id(history.operation))
    return layers


def _all_layers(layer: Any) -> Iterator[Any]:
    yield layer
    for sub in getattr(layer, "layers", ()):
        yield from _all_layers(sub)
    if isinstance(layer, InferenceModeBase):
        yield from _all_layers(layer.inner)


def _forget_traced_steps(model: keras.Model) -> None:
    # Keras keeps the train, test and predict steps it traced; traced under another policy
    # they would go on computing in it.
    for name in ("train_function", "test_function", "predict_function"):
        if getattr(model, name, None) is not None:
            setattr(model, name, None)


@contextlib.contextmanager
def model_precision(model: keras.Model, precision: Precision | None) -> Iterator[keras.Model]:
    """Run ``model`` in ``precision`` for the block, in place, then restore its policies.

    Every layer (nested models included) computes in ``precision`` except the layers that
    produce the model's outputs, which stay float32 so that losses and metrics see float32
    probabilities. Weights are float32 under all three policies, so nothing is converted and
    training inside the block updates the model's own variables. Steps Keras traced before
    (``predict``, ``evaluate``) are retraced inside the block and again after it. ``None``
    changes nothing.
    """
    chosen = check_precision(precision, "model_precision")
    if chosen is None:
        yield model
        return
    outputs = _output_layers(model)
    saved = [(layer, layer.dtype_policy) for layer in _all_layers(model)]
    try:
        for layer, _ in saved:
            if isinstance(layer, keras.layers.InputLayer):
                continue
            keep_float32 = id(layer) in outputs or layer.dtype_policy.compute_dtype == "float64"
            layer.dtype_policy = "float32" if keep_float32 else chosen
        # Keras wraps the optimizer in a LossScaleOptimizer when the model itself is
        # mixed_float16, which keeps small float16 gradients from flushing to zero.
        model.dtype_policy = chosen
        _forget_traced_steps(model)
        yield model
    finally:
        for layer, policy in saved:
            layer.dtype_policy = policy
        _forget_traced_steps(model)


def _variables_in_scope(model: keras.Model, strategy: tf.distribute.Strategy) -> bool:
    for weight in model.weights:
        # Keras keeps the backend variable in ``_value``; ``value`` may autocast it.
        variable = getattr(weight, "_value", weight)
        if not strategy.extended.variable_created_in_scope(variable):
            return False
    return True


@dataclass(frozen=True)
class Acceleration:
    """Validated precision, XLA and distribution options of one training call.

    Attributes
    ----------
    precision
        Keras dtype policy used while training, ``None`` for the model's own.
    jit_compile
        Passed to ``keras.Model.compile``.
    strategy
        The ``tf.distribute`` strategy under which the model is compiled and fitted.
    """

    precision: Precision | None
    jit_compile: JitCompile
    strategy: tf.distribute.Strategy

    @classmethod
    def from_args(
        cls, model: keras.Model, precision: Any, jit_compile: Any, strategy: Any, who: str
    ) -> Acceleration:
        """Validate the three options for ``model``; raise naming the faulty one."""
        if strategy is None:
            # Keras records the strategy in scope when the model was built.
            resolved = model.distribute_strategy
        elif isinstance(strategy, tf.distribute.Strategy):
            resolved = strategy
        else:
            raise ValueError(
                f"{who}: strategy must be None (the strategy the model was built under) or a "
                f"tf.distribute.Strategy object; received {strategy!r}"
            )
        # Under the default strategy this holds for any variable made outside a scope.
        if not _variables_in_scope(model, resolved):
            raise ValueError(
                f"{who}: the model's variables were not created under the strategy given "
                f"({type(resolved).__name__}); build the model inside `with "
                "strategy.scope():` and pass that same strategy object"
            )
        return cls(
            precision=check_precision(precision, who),
            jit_compile=check_jit_compile(jit_compile, who),
            strategy=resolved,
        )

    @contextlib.contextmanager
    def applied(self, model: keras.Model) -> Iterator[None]:
        """Strategy scope, global policy and the model's layer policies, all undone on exit."""
        with (
            self.strategy.scope(),
            precision_policy(self.precision),
            model_precision(model, self.precision),
        ):
            yield

    def to_config(self) -> dict[str, Any]:
        """JSON-ready description (for logs and reports)."""
        return {
            "precision": self.precision,
            "jit_compile": self.jit_compile,
            "strategy": type(self.strategy).__name__,
            "replicas": int(self.strategy.num_replicas_in_sync),
        }
