"""Options are checked once, at the door, before any data is read, by one table of rules."""

from __future__ import annotations

import importlib
import inspect
import pickle
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.calibration import Calibrator, fit_calibrator
from multilabel_attr.core import _options
from multilabel_attr.thresholds import Thresholds, cross_validate_thresholds, optimize_thresholds

BAD_VALUES: dict[str, Any] = {
    "convention": "imagenet",
    "min_slice_size": -1,
    "max_slices": 0,
    "from_logits": "no",
    "normalize": "yes",
    "samplewise": 1,
    "output_dict": "no",
    "exact": 0,
    "ranking_columns": "sketch",
    "calibration_columns": "yes",
    "ignore_ties": None,
    "shuffle": "no",
    "simultaneous": "yes",
    "log_base": 1,
    "zero_division": "skip",
    "search_zero_division": "warn",
    "average": "bogus",
    "label_average": "samples",
    "beta": -1.0,
    "k": 0,
    "optional_k": 0,
    "n_labels": 0,
    "n_bins": 1,
    "n_resamples": 1,
    "digits": -1,
    "min_positives": -1,
    "max_iter": 0,
    "n_splits": 1,
    "confidence_level": 1.5,
    "threshold": 1.5,
    "named_threshold": 1.5,
    "score_threshold": "0.5",
    "max_fpr": 0,
    "ranking": "fast",
    "seed": -1,
    "engine_seed": -1,
    "batch_rows": 0,
    "labels": [0, 0],
    "calibration_bins": 0,
    "sketch_bins": 1,
    "calibration_strategy": "equal",
    "norm": "l2",
    "disparity_method": "pairwise",
    "fairness_average": "micro",
    "default_from_logits": "no",
    "shared": 1,
    "calibrator_method": "beta",
    "scale_calibrator_method": "isotonic",
    "slice_groups": 3.5,
    "interval_method": "basic",
    "band_method": "normal",
    "optional_band": "normal",
}


class Unreadable:
    """Data that fails the test if anything tries to read it."""

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the data was read before the options were checked")

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the data was read ({name}) before the options were checked")

    def __len__(self) -> int:
        raise AssertionError("the data was read before the options were checked")

    def __iter__(self) -> Iterator[Any]:
        raise AssertionError("the data was read before the options were checked")


VALID: dict[str, Any] = {
    "n_labels": 3, "beta": 1.0, "metric": "selection_rate", "groups": Unreadable(),
    "constraints": Unreadable(),
}  # fmt: skip
"""Values of required options and keywords, for calls that test another option."""


ENGINE_FUNCTIONS = (
    "counts", "evaluate", "bootstrap_report", "optimize_thresholds", "calibration_state",
    "fit_calibrator", "operating_points",
)  # fmt: skip
"""Every public function of an engine: each checks its options on the driver, before a job."""


def _engine_modules() -> list[Any]:
    """The engines whose libraries are installed (no Spark session or Dask job starts here)."""
    modules = []
    for name in ("parquet", "dask", "spark"):
        try:
            modules.append(importlib.import_module(f"multilabel_attr.{name}"))
        except ImportError:
            continue
    return modules


def _public_callables() -> list[tuple[str, Callable[..., Any]]]:
    """Every public function, constructor and method that takes an option."""
    found: list[tuple[str, Callable[..., Any]]] = []
    sources: list[tuple[str, Any]] = [(name, getattr(ml, name)) for name in ml.__all__]
    sources += [(f"thresholds.{f.__name__}", f) for f in (optimize_thresholds,)]
    sources += [("thresholds.cross_validate_thresholds", cross_validate_thresholds)]
    sources += [("thresholds.Thresholds", Thresholds)]
    sources += [("calibration.fit_calibrator", fit_calibrator), ("Calibrator", Calibrator)]
    for module in _engine_modules():
        for name in ENGINE_FUNCTIONS:
            sources.append((f"{module.__name__}.{name}", getattr(module, name)))
    for name, value in sources:
        if inspect.isclass(value):
            found.append((name, value.__init__))
            for attr, member in vars(value).items():
                if callable(member) and not attr.startswith("_"):
                    found.append((f"{name}.{attr}", member))
                elif isinstance(member, classmethod) and not attr.startswith("_"):
                    found.append((f"{name}.{attr}", member.__func__))
        elif callable(value):
            found.append((name, value))
    return found


OPTION_NAMES = set(_options.RULES) | {"random_state", "threshold_a", "threshold_b"}

NOT_DOORS: dict[str, str] = {
    "Formula": "a dataclass; samplewise is a field",
    "DeLongComparison": "a result; confidence_level is a field",
    "DeLongInterval": "a result; confidence_level is a field",
    "Disparity": "a result; confidence_level is a field",
    "OperatingPoints": "a result; from_logits is a field",
    "SlicedReport": "a result; confidence_level and min_slice_size are fields",
    "Validation": "a result; confidence_level and n_resamples are fields",
    "calibration_error_from_sums": "a formula of sums; every caller checks norm at its door",
    "PairedComparison": "a result; confidence_level is a field",
    "Report": "a result; confidence_level is a field",
    "ReliabilityBands": "a result; confidence_level is a field",
    "Report.with_intervals": "builds a result from checked values",
    "ScoreSketch.candidate_bins": "zero_division here is the fill value of a search's metric",
    "TopK.check_labels": "n_labels comes from the data",
    "TopK.row_sets": "called with checked values by the counting",
    "fbeta_formula": "a formula constructor; every caller checks beta at its door",
    "signed_to_binary": "labels is the data",
    "thresholds.Thresholds": "average is a description of how the values were tuned",
}
"""Public callables whose arguments share a rule's name without being options."""

SEARCH_OPTIONS = {"average", "beta", "from_logits", "max_iter", "min_positives", "zero_division"}
"""Checked by the threshold search's own door (``resolve_settings``), which every search
(in memory, cross-validated, or on an engine) runs before it reads any data."""


def _takes_options(function: Callable[..., Any]) -> set[str]:
    parameters = inspect.signature(inspect.unwrap(function)).parameters
    return {name for name in parameters if name in OPTION_NAMES} - {"self", "cls"}


def test_every_public_entry_point_checks_its_options_at_the_door() -> None:
    missing = []
    for name, function in _public_callables():
        if name in NOT_DOORS:
            continue
        options = _takes_options(function)
        if name.endswith("optimize_thresholds"):
            options -= SEARCH_OPTIONS
        if name.startswith("multilabel_attr."):
            options -= {"labels"}  # an engine's labels is a column name
        checked = set(getattr(function, "__validated__", {}))
        if options - checked:
            missing.append((name, sorted(options - checked)))
    assert missing == []


def _bad_calls() -> Iterator[tuple[str, Callable[..., Any], dict[str, Any], str]]:
    for name, function in _public_callables():
        rules: dict[str, str] = getattr(function, "__validated__", {})
        qualname = function.__qualname__
        if not rules or ("." in qualname and not qualname.endswith(".__init__")):
            continue  # methods are covered below, with a real instance
        for argument, rule in rules.items():
            yield name, function, {argument: BAD_VALUES[rule]}, argument


BAD_CALLS = list(_bad_calls())


@pytest.mark.parametrize(
    ("function", "options", "argument"),
    [call[1:] for call in BAD_CALLS],
    ids=[f"{call[0]}-{call[3]}" for call in BAD_CALLS],
)
def test_a_bad_option_is_refused_before_the_data_is_read(
    function: Callable[..., Any], options: dict[str, Any], argument: str
) -> None:
    parameters = inspect.signature(inspect.unwrap(function)).parameters
    required = [
        p.name
        for p in parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        and p.name not in ("self", "cls")
    ]
    data = [VALID.get(name, Unreadable()) for name in required]
    keywords = {
        p.name: VALID[p.name]
        for p in parameters.values()
        if p.kind == p.KEYWORD_ONLY and p.default is inspect.Parameter.empty
    }
    options = {**keywords, **options}
    if argument in required:
        data[required.index(argument)] = options.pop(argument)
    if function.__name__ == "__init__":
        owner = function.__qualname__.split(".")[0]
        cls = {"Thresholds": Thresholds, "Calibrator": Calibrator}.get(owner) or getattr(ml, owner)
        with pytest.raises(ml.InputError) as caught:
            cls(*data, **options)
    else:
        with pytest.raises(ml.InputError) as caught:
            function(*data, **options)
    assert caught.value.argument == argument
    assert argument in str(caught.value)


Y = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]])
S = np.array([[0.9, 0.2, 0.6], [0.3, 0.8, 0.4], [0.7, 0.6, 0.1], [0.2, 0.1, 0.9]])


GROUPS = np.array(["a", "a", "b", "b"])


def _states() -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)  # a one-class slice
        sliced_report = ml.evaluate(Y, S, groups=GROUPS, zero_division=0)
    topk = ml.TopKCounts(3, k=[1, 2])
    topk.update(Y, ml.TopK(np.argsort(-S, axis=1)[:, :2]))
    stream = ml.StreamingEvaluation(3)
    stream.update(Y, S)
    return {
        "MultilabelCounts": ml.MultilabelCounts.from_batch(Y, S, threshold=0.5),
        "ScoreSketch": ml.ScoreSketch(3).update(Y, S),
        "TopKCounts": topk,
        "StreamingEvaluation": stream,
        "CalibrationState": ml.CalibrationState(3).update(Y, S),
        "Calibrator": fit_calibrator(Y, S, method="isotonic"),
        "SlicedCounts": ml.SlicedCounts.from_batch(Y, S, groups=GROUPS, threshold=0.5),
        "SlicedStreamingEvaluation": ml.SlicedStreamingEvaluation(3).update(Y, S, groups=GROUPS),
        "SlicedReport": sliced_report,
    }


def test_state_methods_refuse_bad_options_before_counting() -> None:
    states = _states()
    checked = 0
    for name, function in _public_callables():
        owner, _, method = name.partition(".")
        rules: dict[str, str] = getattr(function, "__validated__", {})
        if owner not in states or not method or not rules:
            continue
        state = states[owner]
        before = state.to_dict()
        for argument, rule in rules.items():
            bound = getattr(state, method)
            extra: dict[str, Any] = {"beta": 1.0} if method == "fbeta_score" else {}
            if method == "score":
                extra["formula"] = ml.PRECISION
                extra.setdefault("average", "macro")
            if method == "disparity":
                extra["metric"] = "selection_rate"
            if owner == "SlicedCounts" and method == "from_batch":
                extra["groups"] = Unreadable()
            arguments = {**extra, argument: BAD_VALUES[rule]}
            if method in ("update", "from_batch"):
                call = lambda b=bound, a=arguments: b(Unreadable(), Unreadable(), **a)  # noqa: E731
            elif method in ("apply", "from_counts"):
                call = lambda b=bound, a=arguments: b(Unreadable(), **a)  # noqa: E731
            else:
                call = lambda b=bound, a=arguments: b(**a)  # noqa: E731
            with pytest.raises(ml.InputError) as caught:
                call()
            assert caught.value.argument == argument
            checked += 1
        assert state.to_dict() == before
    assert checked >= 60


def _warm(call: Callable[[], Any]) -> None:
    """Call once first: a validated function checks its defaults on its first call only, so
    the calls counted next are the checks every call makes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call()


def _counting(monkeypatch: pytest.MonkeyPatch, rule: str) -> list[Any]:
    calls: list[Any] = []
    original = _options.RULES[rule]

    def counted(value: Any, argument: str) -> Any:
        calls.append(value)
        return original(value, argument)

    monkeypatch.setitem(_options.RULES, rule, counted)
    return calls


@pytest.mark.parametrize(
    "call",
    [
        lambda: ml.evaluate(Y, S, zero_division=0),
        lambda: ml.classification_report(Y, S, threshold=0.5, zero_division=0),
        lambda: ml.f1_score(Y, S, threshold=0.5, average="samples", zero_division=0),
        lambda: ml.MultilabelCounts.from_batch(Y, S, threshold=0.5).f1_score(zero_division=0),
        lambda: ml.StreamingEvaluation(3).update(Y, S).report(zero_division=0),
        lambda: ml.summarize_counts(ml.MultilabelCounts.from_batch(Y, Y), zero_division=0),
        lambda: ml.recall_at_k(Y, np.argsort(-S, axis=1), k=2, zero_division=0),
        lambda: ml.disparity(Y, S, groups=GROUPS, metric="fpr", threshold=0.5, zero_division=0),
        lambda: ml.equalized_odds_difference(Y, S, groups=GROUPS, threshold=0.5, zero_division=0),
        lambda: ml.SlicedReport.from_counts(
            ml.SlicedCounts.from_batch(Y, S, groups=GROUPS, threshold=0.5), zero_division=0
        ),
        lambda: ml.SlicedStreamingEvaluation(3).update(Y, S, groups=GROUPS).report(zero_division=0),
    ],
)
def test_zero_division_is_checked_once_per_public_call(
    monkeypatch: pytest.MonkeyPatch, call: Callable[[], Any]
) -> None:
    _warm(call)
    calls = _counting(monkeypatch, "zero_division")
    call()
    assert calls == [0]


def test_from_logits_and_threshold_are_checked_once_through_the_bootstrap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def call() -> Any:
        return ml.bootstrap_report(Y, S, threshold=0.4, n_resamples=20, seed=0, from_logits=False)

    _warm(call)
    logits = _counting(monkeypatch, "from_logits")
    thresholds = _counting(monkeypatch, "threshold")
    call()
    assert logits == [False]
    assert thresholds == [0.4]


@pytest.mark.parametrize(
    "call",
    [
        lambda: ml.expected_calibration_error(Y, S, from_logits=False),
        lambda: ml.calibration_curve(Y, S, from_logits=False),
        lambda: ml.CalibrationState(3, from_logits=False).update(Y, S).brier_score(),
        lambda: ml.recall_at_precision(Y, S, 0.5, from_logits=False),
        lambda: ml.equal_error_rate(Y, S, from_logits=False),
        lambda: ml.SlicedCounts.from_batch(Y, S, groups=GROUPS, threshold=0.5, from_logits=False),
        lambda: ml.demographic_parity_ratio(Y, S, groups=GROUPS, threshold=0.5, from_logits=False),
        lambda: ml.SlicedStreamingEvaluation(3, from_logits=False).update(Y, S, groups=GROUPS),
        lambda: fit_calibrator(Y, S, from_logits=False),
    ],
)
def test_from_logits_is_checked_once_per_public_call(
    monkeypatch: pytest.MonkeyPatch, call: Callable[[], Any]
) -> None:
    _warm(call)
    calls = _counting(monkeypatch, "from_logits")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined rates of one-class slices
        call()
    assert calls == [False]


def test_the_threshold_search_refuses_a_from_logits_that_is_not_a_bool() -> None:
    for value in ("no", 0, 1, None):
        with pytest.raises(TypeError, match="from_logits must be True or False") as caught:
            optimize_thresholds(Y, S, from_logits=value)
        assert isinstance(caught.value, ml.InputError)
        assert caught.value.argument == "from_logits"
    with pytest.raises(ml.InputTypeError, match="from_logits"):
        Thresholds([0.5, 0.5, 0.5], from_logits="yes")


def test_checked_options_reach_the_function_normalised() -> None:
    seen: dict[str, Any] = {}

    @_options.validated("threshold", "k", "zero_division", "from_logits")
    def entry(*, threshold: Any = 0.5, k: Any = 1, zero_division: Any = 1, from_logits: Any = False
              ) -> None:  # fmt: skip
        seen.update(threshold=threshold, k=k, zero_division=zero_division, from_logits=from_logits)

    entry(threshold=[0.25, 1], k=[np.int64(2), 3], from_logits=np.bool_(True))
    assert seen["threshold"].dtype == np.float64
    assert seen["threshold"].tolist() == [0.25, 1.0]
    assert seen["k"] == (2, 3)
    assert seen["zero_division"] == 1.0
    assert seen["from_logits"] is True
    entry()
    assert seen["threshold"].ndim == 0 and float(seen["threshold"]) == 0.5


def test_logits_without_a_threshold_are_refused_before_the_data() -> None:
    with pytest.raises(ml.InputError, match="from_logits=True needs scores and a threshold"):
        ml.f1_score(Unreadable(), Unreadable(), from_logits=True)


def test_an_engine_threshold_keeps_its_label_names_and_is_checked_like_a_threshold() -> None:
    rule = _options.RULES["named_threshold"]
    named = Thresholds([0.7, 0.2], label_names=["b", "a"])
    assert rule(named, "threshold") is named
    np.testing.assert_array_equal(rule([0.2, 0.7], "threshold"), [0.2, 0.7])
    with pytest.raises(ml.InputError, match=r"threshold must lie in \[0, 1\]") as caught:
        rule(Thresholds([0.2, 1.5], label_names=["a", "b"]), "threshold")
    assert caught.value.argument == "threshold"

    @_options.validated("from_logits", threshold="named_threshold")
    def entry(*, threshold: Any = 0.5, from_logits: bool = False) -> None: ...

    with pytest.raises(ml.InputError, match="from_logits=True needs scores and a threshold"):
        entry(threshold=None, from_logits=True)


def test_an_option_that_names_no_rule_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="no argument or rule"):

        @_options.validated("colour")
        def entry(*, colour: str = "red") -> None: ...

    @_options.validated("from_logits")
    def other(*, from_logit: bool = False) -> None: ...

    with pytest.raises(TypeError, match="no argument or rule for 'from_logits'"):
        other()  # the signature is read on the first call


def test_every_entry_point_names_its_arguments_and_has_good_defaults() -> None:
    """What a first call checks, for every public entry point, without calling any."""
    checked = 0
    for _, function in _public_callables():
        rules = getattr(function, "__validated__", None)
        if rules:
            _options._prepare(inspect.unwrap(function), rules)
            checked += 1
    assert checked >= 100


def test_input_errors_carry_their_place_and_survive_pickling() -> None:
    error = ml.InputError("bad", argument="y_score", column="s", file="a.parquet", row_group=3)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ml.InputError
    assert str(copy) == "bad"
    assert copy.places == {"argument": "y_score", "column": "s", "file": "a.parquet",
                           "row_group": 3}  # fmt: skip
    typed = pickle.loads(pickle.dumps(ml.InputTypeError("bad type", argument="k")))
    assert isinstance(typed, TypeError) and isinstance(typed, ValueError)
    assert typed.argument == "k"


def test_core_errors_name_their_argument() -> None:
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: ml.f1_score(Y, S[:2], threshold=0.5), "y_score"),
        (lambda: ml.f1_score(Y * 2, S, threshold=0.5), "y_true"),
        (lambda: ml.f1_score(Y, S * 2, threshold=0.5), "y_score"),
        (lambda: ml.f1_score(Y, S, threshold=0.5, sample_weight=[1, 2]), "sample_weight"),
        (lambda: ml.f1_score(Y, S, threshold=[0.5, 0.5]), "threshold"),
        (lambda: ml.f1_score(Y, S, threshold=0.5, labels=[5]), "labels"),
        (lambda: ml.roc_auc_score(Y, S, sample_weight=[0, 0, 0, 0]), "sample_weight"),
    ]
    for call, argument in cases:
        with pytest.raises(ml.InputError) as caught:
            call()
        assert caught.value.argument == argument


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--threshold", "1.5"], "threshold must lie in [0, 1]"),
        (["tune", "--min-positives", "-1", "-o", "t.json"], "min_positives must be at least 0"),
        (["tune", "--strategy", "fast", "-o", "t.json"], "strategy must be one of"),
    ],
)
def test_the_command_line_checks_options_before_reading_files(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from multilabel_attr.cli import main

    missing = ["--labels", "no-such-labels.npy", "--scores", "no-such-scores.npy"]
    assert main([*args[:1], *missing, *args[1:]]) == 1
    err = capsys.readouterr().err
    assert message in err and "not found" not in err


def test_the_parquet_engine_checks_each_option_once_per_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from multilabel_attr import parquet

    path = tmp_path / "rows.parquet"
    table = pa.table(
        {"y": list(np.tile(Y, (10, 1)).astype(np.int8)), "s": list(np.tile(S, (10, 1)))}
    )
    pq.write_table(table, path, row_group_size=8)  # five row groups
    rules = ("zero_division", "from_logits", "threshold", "n_labels", "n_bins", "calibration_bins")
    _warm(lambda: parquet.evaluate(path, "y", "s", zero_division=0))
    _warm(lambda: parquet.bootstrap_report(path, "y", "s", n_resamples=20))
    counted = {rule: _counting(monkeypatch, rule) for rule in rules}
    parquet.evaluate(path, "y", "s", threshold=0.4, zero_division=0, from_logits=False)
    assert counted["zero_division"] == [0]
    assert counted["from_logits"] == [False]
    assert counted["threshold"] == [0.4]
    assert counted["n_labels"] == counted["n_bins"] == []
    for calls in counted.values():
        calls.clear()
    parquet.bootstrap_report(path, "y", "s", threshold=0.4, n_resamples=20, from_logits=False)
    assert counted["from_logits"] == [False] and counted["threshold"] == [0.4]
    assert counted["zero_division"] == []
    for calls in counted.values():
        calls.clear()
    # Five row groups, one calibration state each: the options are checked at the door only.
    _warm(lambda: parquet.calibration_state(path, "y", "s", n_bins=4))
    for calls in counted.values():
        calls.clear()
    loads: list[Any] = []
    from_dict = ml.CalibrationState.from_dict.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(
        ml.CalibrationState,
        "from_dict",
        classmethod(lambda cls, data: loads.append(1) or from_dict(cls, data)),
    )
    parquet.calibration_state(path, "y", "s", n_bins=4, from_logits=False)
    # A saved state (a partition's, or a merge of two) is checked as it is read, and the
    # options once at the door: nothing else checks them again.
    assert len(loads) >= 5
    assert counted["calibration_bins"] == [4] * (1 + len(loads))
    assert counted["from_logits"] == [False] * (1 + len(loads))


@pytest.mark.parametrize("function", ["calibration_state", "fit_calibrator", "operating_points"])
def test_a_parquet_engine_refuses_a_bad_option_before_opening_the_path(
    function: str, tmp_path: Any
) -> None:
    pytest.importorskip("pyarrow")
    from multilabel_attr import parquet

    missing = tmp_path / "no-such-folder" / "rows.parquet"
    with pytest.raises(FileNotFoundError):
        parquet.counts(missing, "y", "s")  # the path alone is refused when it is opened
    bad = {"calibration_state": {"sketch_bins": 1}, "fit_calibrator": {"max_iter": 0},
           "operating_points": {"n_bins": 1, "constraints": Unreadable()}}[function]  # fmt: skip
    for options in (bad, {**bad, "from_logits": "no"}):
        argument = "from_logits" if "from_logits" in options else next(iter(bad))
        with pytest.raises(ml.InputError) as caught:
            getattr(parquet, function)(missing, "y", "s", **options)
        assert caught.value.argument == argument


class SparkFrameStub(Unreadable):
    """A stand-in for a Spark DataFrame that no job may touch."""


@pytest.mark.parametrize("function", ["calibration_state", "fit_calibrator", "operating_points"])
def test_the_spark_and_dask_engines_check_options_on_the_driver(function: str) -> None:
    engines = [m for m in _engine_modules() if m.__name__.split(".")[-1] in ("spark", "dask")]
    if not engines:
        pytest.skip("neither pyspark nor dask is installed")
    extra = {"constraints": Unreadable()} if function == "operating_points" else {}
    for engine in engines:
        with pytest.raises(ml.InputError) as caught:
            getattr(engine, function)(SparkFrameStub(), "y", "s", from_logits=1, **extra)
        assert caught.value.argument == "from_logits"


KERAS_BAD_OPTIONS: list[tuple[str, str, Any]] = [
    ("ExpectedCalibrationError", "num_labels", 0),
    ("ExpectedCalibrationError", "n_bins", 0),
    ("ExpectedCalibrationError", "norm", "l2"),
    ("ExpectedCalibrationError", "average", "samples"),
    ("ExpectedCalibrationError", "from_logits", "no"),
    ("BrierScore", "num_labels", 1.5),
    ("BrierScore", "average", "samples"),
    ("BrierScore", "from_logits", 1),
]


@pytest.mark.tf
def test_the_keras_calibration_metrics_check_their_options_by_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("keras")
    from multilabel_attr import keras as mk

    for name, argument, value in KERAS_BAD_OPTIONS:
        positional = {"num_labels": value} if argument == "num_labels" else {}
        keywords = {} if positional else {argument: value}
        with pytest.raises(ml.InputError) as caught:
            getattr(mk, name)(positional.get("num_labels", 3), **keywords)
        assert caught.value.argument == argument, (name, argument)
        assert argument in str(caught.value)
    calls = {rule: _counting(monkeypatch, rule) for rule in ("from_logits", "norm", "n_labels")}
    metric = mk.ExpectedCalibrationError(np.int64(3), norm="max", from_logits=np.bool_(False))
    assert calls == {"from_logits": [False], "norm": ["max"], "n_labels": [3]}
    assert metric.num_labels == 3 and type(metric.num_labels) is int
    assert metric.from_logits is False and metric.name == "max_calibration_error_macro"
    assert mk.BrierScore(3, average=None).name == "brier_score_per_label"
