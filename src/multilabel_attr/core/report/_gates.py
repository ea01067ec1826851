"""Release gates: rules on metrics, decided on bootstrap interval bounds.

A gate rule names a metric (a summary key such as ``f1_macro``, or a per-label
column such as ``f1`` or ``auroc`` with a label, ``f1:Smiling``, or every label,
``f1:*``), a direction and a limit: absolute (``f1_macro >= 0.8``) or relative to
a baseline model (``auroc:* >= baseline - 0.01``).  A rule passes only when the
bound of the percentile bootstrap interval on the limit's side clears it: the
lower bound for ``>=``, the upper bound for ``<=``.  Relative rules bound the
difference ``candidate - baseline`` from the *paired* replicates (both models on
the same resamples), so the correlation between the models narrows the
interval instead of being ignored.  A point estimate that clears the limit is
not enough.

Resampled counts come from the same per-sample multiplicities and count
formulas as [`bootstrap_report`][multilabel_attr.core.bootstrap_report]; AUROC and
average precision of a resample are the exact weighted ones, with the
multiplicities as weights.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._options import validated
from ..counts._counting import binary_predictions
from ..ranking._exact import _validate
from ..ranking._resampled import RankedLabel, ranked_labels, resampled_auroc_ap
from ._bootstrap import _MAX_CELLS_PER_CHUNK, Design, Rows
from ._evaluate import PER_LABEL_COLUMNS, SUMMARY_METRICS, Report, evaluate

FloatArray = NDArray[np.float64]

RANKING_COLUMNS = ("auroc", "average_precision")
_RULE = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<label>[^\s<>=]+))?\s*"
    r"(?P<op>>=|<=)\s*(?P<rhs>.+?)\s*$"
)
_RELATIVE = re.compile(r"^baseline\s*(?:(?P<sign>[+-])\s*(?P<margin>\S+))?$")
_SYNTAX = (
    "'<metric> >= <number>', '<metric>:<label> <= <number>' or "
    "'<metric>:<label or *> >= baseline - <margin>'"
)


@dataclass(frozen=True)
class GateRule:
    """One release rule.

    Attributes
    ----------
    metric : str
        A key of `SUMMARY_METRICS` (``"f1_macro"``) or a per-label column
        (``"f1"``, ``"auroc"``, ...).
    op : {">=", "<="}
    value : float
        The limit; for a relative rule, the margin added to the baseline
        (``baseline - 0.01`` is ``value=-0.01``).
    label : str, optional
        For a per-label metric: a label name, or ``"*"`` for every label.
    relative : bool
        Compare with the baseline model (``candidate op baseline + value``).
    slice : str, optional
        The slice of the data the rule applies to; a rule naming a slice that the
        evaluation does not have is reported as missing.
    """

    metric: str
    op: str
    value: float
    label: str | None = None
    relative: bool = False
    slice: str | None = None

    @classmethod
    def parse(cls, rule: Any) -> GateRule:
        """A rule from text (``"auroc:* >= baseline - 0.01"``), a dict (the fields of this
        class, or ``{"rule": text, "slice": ...}``) or a rule."""
        if isinstance(rule, GateRule):
            return rule
        if isinstance(rule, Mapping):
            return cls._from_mapping(rule)
        if not isinstance(rule, str):
            raise TypeError(f"rules must hold strings or dicts; got {type(rule).__name__} {rule!r}")
        match = _RULE.match(rule)
        relative = _RELATIVE.match(match.group("rhs")) if match else None
        try:
            if match is None:
                raise ValueError
            if relative is not None:
                margin = float(relative.group("margin") or 0.0)
                value = -margin if relative.group("sign") == "-" else margin
            else:
                value = float(match.group("rhs"))
        except ValueError:
            raise ValueError(f"rules must be written {_SYNTAX}; got {rule!r}") from None
        return cls._checked(
            match.group("metric"), match.group("op"), value, match.group("label"),
            relative is not None, None,
        )  # fmt: skip

    @classmethod
    def _from_mapping(cls, data: Mapping[str, Any]) -> GateRule:
        if "rule" in data:
            base = cls.parse(str(data["rule"]))
            return cls._checked(base.metric, base.op, base.value, base.label, base.relative,
                                data.get("slice"))  # fmt: skip
        unknown = set(data) - {"metric", "op", "value", "label", "relative", "slice"}
        if unknown or not {"metric", "op", "value"} <= set(data):
            raise ValueError(
                "a rule given as a dict needs 'metric', 'op' and 'value' (optional: 'label', "
                f"'relative', 'slice'), or 'rule' with the text; got keys {sorted(data)}"
            )
        relative = data.get("relative", False)
        if not isinstance(relative, bool):
            raise ValueError(f"a rule's 'relative' must be true or false; got {relative!r}")
        value = data["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"a rule's 'value' must be a number; got {value!r}")
        return cls._checked(str(data["metric"]), str(data["op"]), float(value),
                            data.get("label"), relative, data.get("slice"))  # fmt: skip

    @classmethod
    def _checked(
        cls, metric: str, op: str, value: float, label: Any, relative: bool, part: Any
    ) -> GateRule:
        if op not in (">=", "<="):
            raise ValueError(f"a rule's op must be '>=' or '<='; got {op!r}")
        if not math.isfinite(value):
            raise ValueError(f"a rule's limit must be finite; got {value!r} in {metric!r}")
        label = None if label is None else str(label)
        return cls(metric, op, value, label, relative, None if part is None else str(part))

    @property
    def text(self) -> str:
        """The rule as text (the form [`GateRule.parse`][multilabel_attr.core.GateRule.parse]
        reads)."""
        name = self.metric if self.label is None else f"{self.metric}:{self.label}"
        if self.relative:
            sign = "-" if self.value < 0 else "+"
            limit = "baseline" if self.value == 0 else f"baseline {sign} {abs(self.value)!r}"
        else:
            limit = repr(self.value)
        where = f" [slice {self.slice}]" if self.slice else ""
        return f"{name} {self.op} {limit}{where}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_rules(rules: Any) -> list[GateRule]:
    """Rules from a sequence (text, dicts or rules), a JSON document of one, or a dict with a
    ``"rules"`` list; every rule is checked before any data is read."""
    if isinstance(rules, str) and rules.lstrip().startswith(("[", "{")):
        rules = json.loads(rules)
    if isinstance(rules, Mapping):
        rules = rules.get("rules")
    if isinstance(rules, (str, GateRule)):
        rules = [rules]
    if not isinstance(rules, Iterable):
        raise ValueError(f"rules must be a list of rules (or {{'rules': [...]}}); got {rules!r}")
    parsed = [GateRule.parse(rule) for rule in rules]
    if not parsed:
        raise ValueError("rules must hold at least one rule; got none")
    return parsed


@dataclass(frozen=True)
class GateResult:
    """The outcome of one rule on one label (or on a summary metric).

    ``status`` is ``"passed"``, ``"failed"`` or ``"missing"`` (the metric, label,
    slice or baseline does not exist, or the value is undefined: ``reason`` says
    which). ``bound`` is the interval's bound on the limit's side, of the metric
    (absolute rules) or of ``candidate - baseline`` (relative rules); the rule
    passes when it clears ``limit``.
    """

    rule: str
    metric: str
    label: str | None
    status: str
    candidate: float | None = None
    baseline: float | None = None
    interval: tuple[float, float] | None = None
    bound: float | None = None
    limit: float | None = None
    reason: str = ""


@dataclass(frozen=True)
class Validation:
    """The outcome of [`validate`][multilabel_attr.core.validate]: every rule's results."""

    results: tuple[GateResult, ...]
    confidence_level: float
    n_resamples: int
    label_names: tuple[str, ...] = field(default=())

    def _with(self, status: str) -> list[GateResult]:
        return [r for r in self.results if r.status == status]

    @property
    def passed(self) -> list[GateResult]:
        return self._with("passed")

    @property
    def failed(self) -> list[GateResult]:
        return self._with("failed")

    @property
    def missing(self) -> list[GateResult]:
        return self._with("missing")

    @property
    def ok(self) -> bool:
        """Whether no rule failed (missing rules are listed, not failed)."""
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, float) and not math.isfinite(value):
                return None
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value

        return {
            "ok": self.ok,
            "confidence_level": self.confidence_level,
            "n_resamples": self.n_resamples,
            "counts": {s: len(self._with(s)) for s in ("passed", "failed", "missing")},
            "results": [{k: plain(v) for k, v in asdict(r).items()} for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        """One line per result, failures first."""
        lines = [
            f"{'PASS' if self.ok else 'FAIL'}: {len(self.passed)} passed, {len(self.failed)} "
            f"failed, {len(self.missing)} missing ({self.confidence_level:.0%} intervals, "
            f"{self.n_resamples} resamples)"
        ]
        for status in ("failed", "missing", "passed"):
            for r in self._with(status):
                where = f" [{r.label}]" if r.label and r.label not in r.rule else ""
                if status == "missing":
                    lines.append(f"  missing {r.rule}{where}: {r.reason}")
                    continue
                lines.append(
                    f"  {status:7s} {r.rule}{where}: bound {r.bound:.4f} vs {r.limit:.4f} "
                    f"(candidate {r.candidate:.4f}"
                    + ("" if r.baseline is None else f", baseline {r.baseline:.4f}")
                    + ")"
                )
        return "\n".join(lines)


@dataclass(frozen=True)
class _Model:
    """One model's point estimates and what its resamples need."""

    report: Report
    rows: Rows
    ranked: list[RankedLabel] | None


def _model(
    y_true: Any, y_score: Any, threshold: Any, options: dict[str, Any], ranking: bool
) -> _Model:
    report = evaluate(y_true, y_score, threshold=threshold, zero_division=0, ranking=ranking,
                      **options)  # fmt: skip
    truth, pred, _ = binary_predictions(
        y_true, y_score, threshold, options["from_logits"], options["sample_weight"]
    )
    ranked = None
    if ranking:
        scores = _validate(y_true, y_score, options["sample_weight"])[1]
        ranked = ranked_labels(truth, np.asarray(scores, np.float64))
    return _Model(report, Rows.of(truth, pred), ranked)


def _replicates(
    truth: NDArray[np.bool_],
    models: Sequence[_Model],
    design: Design,
    n_resamples: int,
    seed: Any,
    ranking: bool,
) -> list[dict[str, FloatArray]]:
    """Per model, every metric on the same resamples: summary keys shape (B,), per-label
    columns shape (B, n_labels)."""
    rng = np.random.default_rng(seed)
    n_samples = truth.shape[0]
    chunk = max(1, _MAX_CELLS_PER_CHUNK // n_samples)
    parts: list[list[dict[str, FloatArray]]] = [[] for _ in models]
    for start in range(0, n_resamples, chunk):
        weight = design.draw(rng, min(chunk, n_resamples - start))
        for slot, model in zip(parts, models):
            summary, per_label = model.rows.scores(
                model.rows.counts(weight, design.weights is not None)
            )
            values = {**summary, **per_label}
            if ranking and model.ranked is not None:
                values["auroc"], values["average_precision"] = resampled_auroc_ap(
                    model.ranked, weight
                )
            slot.append(values)
    return [{k: np.concatenate([p[k] for p in slot]) for k in slot[0]} for slot in parts]


def _point(report: Report, metric: str, index: int | None) -> float:
    if index is None:
        return float(report.summary[metric])
    return float(report.per_label[metric][index])


def _decide(
    rule: GateRule,
    index: int | None,
    label: str | None,
    models: Sequence[_Model],
    replicates: Sequence[Mapping[str, FloatArray]],
    tail: float,
) -> GateResult:
    """One rule on one label (or a summary metric), decided on the interval bound."""
    points = [_point(m.report, rule.metric, index) for m in models]
    draws = [r[rule.metric] if index is None else r[rule.metric][:, index] for r in replicates]
    if any(math.isnan(p) for p in points):
        return GateResult(rule.text, rule.metric, label, "missing", reason="undefined here")
    sample = draws[0] - draws[1] if rule.relative else draws[0]
    sample = sample[~np.isnan(sample)]
    if sample.size == 0:
        return GateResult(rule.text, rule.metric, label, "missing", reason="undefined")
    low, high = (float(v) for v in np.percentile(sample, [100 * tail, 100 * (1 - tail)]))
    bound = low if rule.op == ">=" else high
    passed = bound >= rule.value if rule.op == ">=" else bound <= rule.value
    return GateResult(
        rule.text, rule.metric, label, "passed" if passed else "failed", candidate=points[0],
        baseline=points[1] if len(points) > 1 else None, interval=(low, high), bound=bound,
        limit=rule.value,
    )  # fmt: skip


def _missing(rule: GateRule, names: tuple[str, ...], has_baseline: bool) -> str:
    """Why a rule cannot be evaluated, or ``""``."""
    summary = {key for key, _ in SUMMARY_METRICS}
    columns = set(PER_LABEL_COLUMNS) - {"threshold"}
    if rule.slice is not None:
        return f"no slice {rule.slice!r} in this evaluation"
    if rule.relative and not has_baseline:
        return "no baseline given"
    if rule.metric in summary:
        return "" if rule.label is None else f"{rule.metric} is a summary metric, without labels"
    if rule.metric not in columns:
        return f"unknown metric {rule.metric!r}"
    if rule.label is None:
        return (
            f"{rule.metric} is per label: name one ({rule.metric}:<label>) or all ({rule.metric}:*)"
        )
    if rule.label != "*" and rule.label not in names:
        return f"unknown label {rule.label!r}"
    return ""


@validated(
    "n_resamples", "confidence_level", "seed", "from_logits", "threshold",
    baseline_threshold="threshold",
)  # fmt: skip
def validate(
    y_true: Any,
    candidate: Any,
    baseline: Any,
    rules: Any,
    *,
    threshold: Any = 0.5,
    baseline_threshold: Any = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    seed: int | np.random.Generator | None = 0,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    cluster: Any = None,
) -> Validation:
    """Release gates: check a candidate model's metrics against rules, on interval bounds.

    Both models are evaluated on the same labels and resamples. A rule ``metric >= limit``
    passes when the lower bound of the metric's percentile bootstrap interval is at least
    ``limit`` (``<=``: the upper bound at most); a relative rule ``metric >= baseline + m``
    bounds the paired difference ``candidate - baseline`` the same way. The decision is never
    taken on the point estimate alone: a candidate whose F1 is 0.81 on the data but whose
    interval reaches down to 0.78 fails ``f1_macro >= 0.8``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
    candidate, baseline : array-like of shape (n_samples, n_labels)
        The models' scores (or 0/1 predictions with ``threshold=None``); ``baseline`` may be
        ``None``, and relative rules are then missing.
    rules : sequence of str, dict or GateRule, or a JSON document of one
        For example ``["f1_macro >= 0.8", "f1:Eyeglasses >= 0.9",
        "auroc:* >= baseline - 0.01", "hamming_loss <= baseline + 0.005"]``: metric names are
        the keys of `SUMMARY_METRICS` and the per-label columns of `PER_LABEL_COLUMNS`. See
        [`GateRule`][multilabel_attr.core.GateRule].
    threshold, baseline_threshold : float, array-like or Thresholds
        The candidate's thresholds, and the baseline's (default: the candidate's).
    n_resamples : int, default=1000
    confidence_level : float, default=0.95
        Of the two-sided interval whose bound decides each rule.
    seed : int, Generator or None, default=0
        The resamples; the default makes a gate reproducible.
    from_logits, sample_weight, label_names
        As in [`evaluate`][multilabel_attr.core.evaluate].
    cluster : array-like of shape (n_samples,), optional
        A group id per sample (for CelebA, the identity): whole groups are resampled, as in
        [`bootstrap_report`][multilabel_attr.core.bootstrap_report], so that several images
        of one person do not make the bounds that decide the rules too tight.

    Returns
    -------
    Validation
        ``passed``, ``failed`` and ``missing`` results (a rule naming a metric, label or
        slice that does not exist is missing, not an error); ``ok`` when none failed.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import validate
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((400, 3)) < 0.4
    >>> new = np.clip(0.45 * y + 0.55 * rng.random((400, 3)), 0, 1)
    >>> old = np.clip(0.25 * y + 0.75 * rng.random((400, 3)), 0, 1)
    >>> result = validate(y, new, old, ["f1_macro >= 0.5", "f1:* >= baseline", "mcc:nose >= 0"],
    ...                   n_resamples=200, label_names=["eyes", "hair", "smile"])
    >>> result.ok, len(result.passed), [r.reason for r in result.missing]
    (True, 4, ["unknown label 'nose'"])
    """
    parsed = load_rules(rules)
    level = confidence_level
    ranking = any(rule.metric in RANKING_COLUMNS for rule in parsed)
    options = {"label_names": label_names, "from_logits": from_logits,
               "sample_weight": sample_weight}  # fmt: skip
    models = [_model(y_true, candidate, threshold, options, ranking)]
    if baseline is not None:
        other = threshold if baseline_threshold is None else baseline_threshold
        models.append(_model(y_true, baseline, other, options, ranking))
    names = models[0].report.label_names
    truth, _, weights = binary_predictions(y_true, candidate, threshold, from_logits, sample_weight)
    design = Design.of(weights, cluster, truth.shape[0])
    replicates = _replicates(truth, models, design, n_resamples, seed, ranking)
    tail = (1 - level) / 2
    results: list[GateResult] = []
    for rule in parsed:
        reason = _missing(rule, names, baseline is not None)
        if reason:
            results.append(GateResult(rule.text, rule.metric, rule.label, "missing", reason=reason))
            continue
        if rule.label is None:
            targets: list[tuple[int | None, str | None]] = [(None, None)]
        elif rule.label == "*":
            targets = list(enumerate(names))
        else:
            targets = [(names.index(rule.label), rule.label)]
        results += [_decide(rule, i, name, models, replicates, tail) for i, name in targets]
    return Validation(tuple(results), level, n_resamples, names)
