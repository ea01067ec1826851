"""One rule per option, checked once at the public entry point, before any data is read.

[`RULES`][multilabel_attr.core._options.RULES] maps an option's name to its
rule: a function ``rule(value, argument)`` that returns the normalised value or
raises an [`InputError`][multilabel_attr.InputError] naming ``argument``, what
was received and what was expected.  A public function or method lists its
options with [`validated`][multilabel_attr.core._options.validated]; on every
call the decorator runs each rule once and hands the function the normalised
values, so the code below the door never checks an option again (it may
assume ``from_logits`` is a bool, ``threshold`` a float64 array in [0, 1], and
so on).  Rules that involve two options at once live in ``JOINT_RULES``.

Adding an option is one line in ``RULES``::

    RULES["n_folds"] = lambda value, argument: check_int(value, argument, minimum=2)

and its name in the decorator of each entry point that takes it::

    @validated("from_logits", "n_folds")
    def my_metric(y_true, y_score, *, from_logits=False, n_folds=5): ...

An argument whose name differs from its rule's names the rule:
``@validated(threshold_a="threshold")``; a variant of a rule (a smaller set of
allowed values, say) is a rule of its own, such as ``"label_average"``.
Defaults are checked once, on the first call (a rule name that does not exist is refused
when the function is decorated).
"""

from __future__ import annotations

import functools
import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from ._errors import InputError, InputTypeError
from ._validation import (
    AVERAGES,
    PerGroupThresholds,
    check_average,
    check_beta,
    check_int,
    check_probability_threshold,
    check_threshold,
    check_zero_division,
    refuse_group_thresholds,
)

Rule = Callable[[Any, str], Any]
F = TypeVar("F", bound=Callable[..., Any])

LABEL_AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", None)
"""The averages of metrics that have no per-sample value."""

DEFAULT_BINS = 1024
"""Bins of a [`ScoreSketch`][multilabel_attr.ScoreSketch] by default (and of an engine's
``ranking="sketch"``)."""


def check_bool(value: Any, argument: str) -> bool:
    """A real bool (numpy's too); ``"no"`` or ``0`` would be truthy or falsy by accident."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputTypeError(
            f"{argument} must be True or False (a bool); got {type(value).__name__} {value!r}",
            argument=argument,
        )
    return bool(value)


def _real(value: Any, argument: str, expected: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputTypeError(
            f"{argument} must be {expected}; got {type(value).__name__} {value!r}",
            argument=argument,
        )
    return float(value)


def check_open_fraction(value: Any, argument: str) -> float:
    """A number strictly between 0 and 1 (a confidence level)."""
    number = _real(value, argument, "a number in (0, 1)")
    if not 0 < number < 1:
        raise InputError(f"{argument} must be in (0, 1); got {value!r}", argument=argument)
    return number


def check_max_fpr(value: Any, argument: str) -> float | None:
    """``None`` (the full curve) or a false-positive rate in (0, 1]."""
    if value is None:
        return None
    number = _real(value, argument, "a number in (0, 1] or None")
    if not 0 < number <= 1:
        raise InputError(f"{argument} must be a number in (0, 1]; got {value!r}", argument=argument)
    return number


def check_seed(value: Any, argument: str) -> Any:
    """``None``, a non-negative int or a numpy ``Generator``."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise InputTypeError(
            f"{argument} must be None, a non-negative int or a numpy Generator; "
            f"got {type(value).__name__} {value!r}",
            argument=argument,
        )
    if value < 0:
        raise InputError(f"{argument} must be non-negative; got {value!r}", argument=argument)
    return int(value)


def check_ks(value: Any, argument: str) -> int | tuple[int, ...]:
    """One cut-off ``k`` (an int) or a non-empty list of them (a tuple), each positive."""
    if not isinstance(value, (list, tuple, np.ndarray)):
        return check_int(value.item() if isinstance(value, np.generic) else value, argument,
                         minimum=1)  # fmt: skip
    if len(value) == 0:
        raise InputError(
            f"{argument} must be a positive int or a non-empty list of them; got []",
            argument=argument,
        )
    return tuple(
        check_int(v.item() if isinstance(v, np.generic) else v, argument, minimum=1) for v in value
    )


def check_column_indices(value: Any, argument: str) -> np.ndarray[Any, np.dtype[np.intp]] | None:
    """``None`` or distinct non-negative column indices (their range is known with the data)."""
    if value is None:
        return None
    array = np.asarray(value)
    if array.ndim != 1 or array.size == 0:
        raise InputError(
            f"{argument} must be a non-empty 1-D list of column indices; got {value!r}",
            argument=argument,
        )
    if not np.issubdtype(array.dtype, np.integer):
        raise InputTypeError(
            f"{argument} must be integer column indices of y_true; got dtype {array.dtype}",
            argument=argument,
        )
    if array.min() < 0:
        raise InputError(
            f"{argument} names unknown label(s) {array[array < 0][:5].tolist()}; column "
            "indices start at 0",
            argument=argument,
        )
    if np.unique(array).size != array.size:
        raise InputError(
            f"{argument} must not repeat a label; got {array.tolist()}", argument=argument
        )
    return array.astype(np.intp)


def check_ranking(value: Any, argument: str) -> tuple[int, bool]:
    """An engine's ``ranking``: sketch bins (0: none) and whether exact values are wanted.

    ``"sketch"`` (or True), ``"exact"``, a number of sketch bins (at least 2),
    or False / None for no ranking columns.
    """
    if value is None or value is False:
        return 0, False
    if value is True or (isinstance(value, str) and value == "sketch"):
        return DEFAULT_BINS, False
    if isinstance(value, str) and value == "exact":
        return DEFAULT_BINS, True
    integral = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if integral and value >= 2:
        return int(value), False
    raise InputError(
        f"{argument} must be 'sketch', 'exact', a number of sketch bins (>= 2), or False; "
        f"got {value!r}",
        argument=argument,
    )


def check_log_base(value: Any, argument: str) -> float:
    """A logarithm base above 1 (of a DCG discount)."""
    number = _real(value, argument, "a number above 1")
    if not number > 1:
        raise InputError(f"{argument} must be a number above 1; got {value!r}", argument=argument)
    return number


def check_engine_seed(value: Any, argument: str) -> int:
    """A non-negative int: every partition derives its replicates from it."""
    return check_int(value, argument, minimum=0)


def _zero_division(allowed: Any = None, context: str = "") -> Rule:
    def rule(value: Any, argument: str) -> Any:
        if allowed is None:
            check_zero_division(value)
        else:
            check_zero_division(value, allowed, context=context)
        # "warn" stays "warn" (it decides whether to warn); numbers become floats.
        return value if isinstance(value, str) else float(value)

    return rule


def _average(allowed: tuple[str | None, ...]) -> Rule:
    def rule(value: Any, argument: str) -> Any:
        check_average(value, allowed)
        return value

    return rule


def _threshold(value: Any, argument: str) -> Any:
    if isinstance(value, PerGroupThresholds):
        return _group_thresholds(value, argument)
    return None if value is None else check_probability_threshold(value, None, argument)


def _group_thresholds(value: PerGroupThresholds, argument: str) -> PerGroupThresholds:
    """Per-group thresholds, kept as given once every group's values are checked: which
    group each row is in is known only with the data (see `_group_thresholds_need_groups`)."""
    check_probability_threshold(value.overall, None, f"{argument}.overall")
    for key in value:
        check_probability_threshold(value[key], None, f"{argument}[{key!r}]")
    return value


def check_groups_argument(value: Any, argument: str) -> Any:
    """``groups`` of an entry point that slices rows: None, or group keys or label names.

    Only a lone number is refused here; the keys themselves are data, checked when read."""
    if isinstance(value, (numbers.Number, np.generic, bytes)):
        raise InputTypeError(
            f"{argument} must be None, an array of group keys (one per row), several such "
            f"arrays, a mapping of names to them, or label names; got {type(value).__name__} "
            f"{value!r}",
            argument=argument,
        )
    return value


def _named_threshold(value: Any, argument: str) -> Any:
    # A per-label threshold that names its labels (a `Thresholds`) is kept as given once its
    # values are checked: an engine matches it to the data's labels by name, which only the
    # engine knows after opening the source.
    refuse_group_thresholds(value, argument)
    checked = RULES["threshold"](value, argument)
    return value if getattr(value, "label_names", None) is not None else checked


def _optional_int(minimum: int) -> Rule:
    def rule(value: Any, argument: str) -> int | None:
        return None if value is None else check_int(value, argument, minimum=minimum)

    return rule


def _choice(described: Mapping[Any, str]) -> Rule:
    """One of a few named values; the error lists each with what it means."""

    def rule(value: Any, argument: str) -> Any:
        known = isinstance(value, (str, type(None))) and value in described
        if not known:
            choices = " or ".join(f"{name!r} ({meaning})" for name, meaning in described.items())
            raise InputError(
                f"{argument} must be one of {choices}; got {value!r}", argument=argument
            )
        return value

    return rule


CALIBRATION_STRATEGIES: dict[str, str] = {
    "uniform": "equal-width bins",
    "quantile": "equal-mass bins",
}
"""The bins of a calibration metric."""

CALIBRATION_NORMS: dict[str, str] = {"l1": "expected", "max": "maximum"}
"""The calibration errors: the weighted mean gap over the bins, or the largest."""

DISPARITY_METHODS: dict[str, str] = {
    "between_groups": "slices with each other",
    "to_overall": "each slice with the whole data",
}
"""How a disparity compares the slices."""

CALIBRATOR_METHODS: dict[str, str] = {
    "platt": "Platt scaling",
    "temperature": "temperature scaling",
    "isotonic": "isotonic regression",
}
"""The maps of a calibrator."""

INTERVAL_METHODS: dict[str, str] = {
    "percentile": "percentile bootstrap intervals",
    "bca": "bias-corrected and accelerated bootstrap intervals",
}
"""How a bootstrap turns replicates into an interval."""

BAND_METHODS: dict[str, str] = {
    "wilson": "Wilson score interval",
    "clopper-pearson": "Clopper-Pearson exact interval, needs scipy",
}
"""The binomial intervals of a reliability curve's observed rates."""

CONVENTION_NAMES: tuple[str, ...] = ("pedestrian", "coco")
"""The named metric conventions of [`convention_metrics`][multilabel_attr.convention_metrics]."""


def check_conventions(value: Any, argument: str) -> tuple[str, ...]:
    """One convention name, or a non-empty sequence of them (duplicates dropped)."""
    names = (value,) if isinstance(value, str) else value
    known = ", ".join(repr(name) for name in CONVENTION_NAMES)
    if not isinstance(names, (list, tuple)) or len(names) == 0:
        raise InputError(
            f"{argument} must be one of {known} or a non-empty sequence of them; got {value!r}",
            argument=argument,
        )
    for name in names:
        if not isinstance(name, str) or name not in CONVENTION_NAMES:
            raise InputError(f"{argument} must be one of {known}; got {name!r}", argument=argument)
    return tuple(dict.fromkeys(names))


RULES: dict[str, Rule] = {
    "convention": check_conventions,
    "from_logits": check_bool,
    "default_from_logits": lambda value, argument: (
        None if value is None else check_bool(value, argument)
    ),
    "shared": check_bool,
    "normalize": check_bool,
    "samplewise": check_bool,
    "output_dict": check_bool,
    "exact": check_bool,
    "ranking_columns": check_bool,
    "calibration_columns": check_bool,
    "ignore_ties": check_bool,
    "shuffle": check_bool,
    "simultaneous": check_bool,
    "log_base": check_log_base,
    "zero_division": _zero_division(),
    "search_zero_division": _zero_division((0.0, 1.0), " for a threshold search"),
    "average": _average(AVERAGES),
    "label_average": _average(LABEL_AVERAGES),
    "fairness_average": _choice({None: "per label", "macro": "the mean over labels"}),
    "calibration_strategy": _choice(CALIBRATION_STRATEGIES),
    "norm": _choice(CALIBRATION_NORMS),
    "disparity_method": _choice(DISPARITY_METHODS),
    "calibrator_method": _choice(CALIBRATOR_METHODS),
    # Isotonic regression sorts every score of a label together: not a sum that merges.
    "scale_calibrator_method": _choice(
        {k: v for k, v in CALIBRATOR_METHODS.items() if k != "isotonic"}
    ),
    "interval_method": _choice(INTERVAL_METHODS),
    "band_method": _choice(BAND_METHODS),
    "optional_band": _choice({**BAND_METHODS, None: "no band"}),
    "beta": lambda value, argument: check_beta(value),
    "k": check_ks,
    "optional_k": _optional_int(1),
    "top_k": lambda value, argument: check_int(value, argument, minimum=1),
    "n_labels": lambda value, argument: check_int(value, argument, minimum=1),
    "n_bins": lambda value, argument: check_int(value, argument, minimum=2),
    "calibration_bins": lambda value, argument: check_int(value, argument, minimum=1),
    "sketch_bins": _optional_int(2),
    "n_resamples": lambda value, argument: check_int(value, argument, minimum=2),
    "min_slice_size": lambda value, argument: check_int(value, argument, minimum=0),
    "max_slices": lambda value, argument: check_int(value, argument, minimum=1),
    "digits": lambda value, argument: check_int(value, argument, minimum=0),
    "min_positives": lambda value, argument: check_int(value, argument, minimum=0),
    "max_iter": lambda value, argument: check_int(value, argument, minimum=1),
    "n_splits": lambda value, argument: check_int(value, argument, minimum=2),
    "confidence_level": check_open_fraction,
    "threshold": _threshold,
    "slice_groups": check_groups_argument,
    "named_threshold": _named_threshold,
    "score_threshold": lambda value, argument: check_threshold(value, None, argument),
    "max_fpr": check_max_fpr,
    "ranking": check_ranking,
    "seed": check_seed,
    "engine_seed": check_engine_seed,
    "batch_rows": lambda value, argument: check_int(value, argument, minimum=1),
    "labels": check_column_indices,
}
"""The rule of each option, by name (see the module docstring)."""


def _logits_need_threshold(values: Mapping[str, Any]) -> None:
    given = [values[rule] for rule in ("threshold", "named_threshold") if rule in values]
    if values.get("from_logits") is True and any(value is None for value in given):
        raise InputError(
            "from_logits=True needs scores and a threshold; got threshold=None",
            argument="threshold",
        )


def _group_thresholds_need_groups(values: Mapping[str, Any]) -> None:
    # Entry points that slice rows are those that take max_slices; only they know each row's
    # group, so only they apply per-group thresholds.
    threshold = values.get("threshold")
    if not isinstance(threshold, PerGroupThresholds):
        return
    if "max_slices" not in values:
        refuse_group_thresholds(threshold, "threshold")
    if "slice_groups" in values and values["slice_groups"] is None:
        raise InputError(
            f"threshold holds per-group thresholds ({type(threshold).__name__}), which need "
            "each row's group; pass groups= (the group arrays they were tuned on)",
            argument="threshold",
        )


def _shared_needs_temperature(values: Mapping[str, Any]) -> None:
    method = values.get("calibrator_method")
    if values.get("shared") is True and method is not None and method != "temperature":
        raise InputError(
            f"shared=True is for method='temperature' only; got method={method!r}",
            argument="shared",
        )


JOINT_RULES: tuple[Callable[[Mapping[str, Any]], None], ...] = (
    _logits_need_threshold,
    _shared_needs_temperature,
    _group_thresholds_need_groups,
)
"""Rules on several options at once; each gets the checked values keyed by rule name."""


def _check(
    rules: Mapping[str, str], given: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    checked = {name: RULES[rules[name]](value, name) for name, value in given.items()}
    values = {**defaults, **checked}
    by_rule = {rules[name]: value for name, value in values.items()}
    for joint in JOINT_RULES:
        joint(by_rule)
    return values


def check_options(arguments: Mapping[str, tuple[str, Any]]) -> dict[str, Any]:
    """Check ``{argument: (rule name, value)}``; return the normalised values by argument.

    What [`validated`][multilabel_attr.core._options.validated] runs on each
    call, for entry points that are not plain functions (a command line, say).
    """
    rules = {name: rule for name, (rule, _) in arguments.items()}
    return _check(rules, {name: value for name, (_, value) in arguments.items()}, {})


def validated(*options: str, **renamed: str) -> Callable[[F], F]:
    """Decorate a public entry point: check the named options once per call, at the door.

    ``options`` are argument names that are also rule names; ``renamed`` maps an
    argument to the rule it follows.  The function receives the normalised values.
    """

    def decorate(func: F) -> F:
        rules = {**{name: name for name in options}, **renamed}
        unknown = [rule for rule in rules.values() if rule not in RULES]
        if unknown:
            raise TypeError(f"{func.__qualname__}: no argument or rule for {unknown[0]!r}")
        # The signature and the checked defaults are built on the first call: importing the
        # package decorates every entry point, and most are never called in a session.
        prepared: list[tuple[inspect.Signature, dict[str, Any]]] = []

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not prepared:
                prepared.append(_prepare(func, rules))
            signature, defaults = prepared[0]
            bound = signature.bind(*args, **kwargs)
            given = bound.arguments
            values = _check(rules, {name: given[name] for name in rules if name in given}, defaults)
            given.update(values)
            return func(*bound.args, **bound.kwargs)

        wrapper.__validated__ = rules  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def _prepare(
    func: Callable[..., Any], rules: Mapping[str, str]
) -> tuple[inspect.Signature, dict[str, Any]]:
    """The signature of a validated function and its checked defaults."""
    signature = inspect.signature(func)
    for name in rules:
        if name not in signature.parameters:
            raise TypeError(f"{func.__qualname__}: no argument or rule for {name!r}")
    defaults = _check(
        rules,
        {
            name: signature.parameters[name].default
            for name in rules
            if signature.parameters[name].default is not inspect.Parameter.empty
        },
        {},
    )
    for value in defaults.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared by every call that leaves the default
    return signature, defaults


def zero_division_fill(zero_division: Any) -> float:
    """The value of an undefined result for a checked ``zero_division`` (``"warn"``: 0)."""
    return 0.0 if isinstance(zero_division, str) else float(zero_division)
