"""Out-of-fold threshold tuning and the scikit-learn meta-estimator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from multilabel_attr.thresholds import (
    ThresholdWarning,
    cross_validate_thresholds,
    optimize_thresholds,
)


def data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 4)) < [0.1, 0.25, 0.4, 0.6]).astype(int)
    s = 1 / (1 + np.exp(-(1.2 * (2 * y - 1) + rng.normal(0, 1.2, y.shape))))
    return y, s


def test_cross_validation_is_out_of_fold() -> None:
    y, s = data()
    cv = cross_validate_thresholds(y, s, n_splits=4, random_state=0)
    assert cv.thresholds == optimize_thresholds(y, s)
    assert cv.fold_values.shape == (4, 4)
    assert cv.in_sample_objective == cv.thresholds.objective
    assert cv.spread.shape == (4,)
    assert np.all(cv.spread >= 0)
    # Rebuild the out-of-fold predictions by hand from the same folds.
    order = np.random.default_rng(0).permutation(len(y))
    oof = np.zeros_like(y)
    for k, test in enumerate(np.array_split(order, 4)):
        train = np.setdiff1d(np.arange(len(y)), test)
        fold = optimize_thresholds(y[train], s[train])
        assert np.array_equal(fold.values, cv.fold_values[k])
        oof[test] = fold.apply(s[test])
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    expected = sklearn_metrics.f1_score(y, oof, average="macro", zero_division=0)
    assert cv.out_of_fold_objective == pytest.approx(expected, abs=1e-12)
    assert cv.optimism == pytest.approx(cv.in_sample_objective - cv.out_of_fold_objective)
    assert "out-of-fold" in repr(cv)


def test_cross_validation_options_and_errors() -> None:
    y, s = data(200)
    joint = cross_validate_thresholds(
        y,
        s,
        n_splits=3,
        random_state=1,
        strategy="coordinate",
        average="samples",
        min_positives=0,
    )
    assert joint.thresholds.strategy == "coordinate"
    with pytest.raises(TypeError, match="unknown option"):
        cross_validate_thresholds(y, s, n_folds=3)
    with pytest.raises(ValueError, match="n_splits"):
        cross_validate_thresholds(y, s, n_splits=1)
    with pytest.raises(ValueError, match="larger than the number of samples"):
        cross_validate_thresholds(y[:3], s[:3], n_splits=5, min_positives=0)
    y[:, 0] = 0
    y[:25, 0] = 1
    with pytest.warns(ThresholdWarning, match="some folds"):
        cross_validate_thresholds(y, s, n_splits=3, random_state=0, min_positives=20)


def test_import_does_not_load_sklearn() -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    code = (
        "import sys, multilabel_attr, multilabel_attr.thresholds; "
        "assert 'sklearn' not in sys.modules, 'sklearn imported'; "
        "assert 'tensorflow' not in sys.modules and 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(src)})


class TestMetaEstimator:
    @pytest.fixture(autouse=True)
    def _sklearn(self) -> None:
        pytest.importorskip("sklearn")

    @staticmethod
    def xy(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(n, 5))
        Y = (X[:, :3] + rng.normal(size=(n, 3)) > [0.5, 1.0, 1.5]).astype(int)
        return X, Y

    def test_fit_predict_uses_out_of_fold_thresholds(self) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import KFold, cross_val_predict
        from sklearn.multiclass import OneVsRestClassifier

        from multilabel_attr.thresholds import MultiLabelThresholdClassifier

        X, Y = self.xy()
        base = OneVsRestClassifier(LogisticRegression())
        clf = MultiLabelThresholdClassifier(base, cv=3).fit(X, Y)
        oof = cross_val_predict(base, X, Y, cv=KFold(3), method="predict_proba")
        assert np.allclose(clf.oof_scores_, oof)
        assert clf.thresholds_ == optimize_thresholds(Y, oof)
        proba = clf.predict_proba(X)
        assert np.array_equal(clf.predict(X), (proba >= clf.thresholds_.values).astype(int))
        # Not the wrapped estimator's 0.5 rule.
        assert not np.array_equal(clf.predict(X), clf.estimator_.predict(X))
        assert clf.n_features_in_ == 5

    def test_list_of_per_label_probabilities(self) -> None:
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.neighbors import KNeighborsClassifier

        from multilabel_attr.thresholds import MultiLabelThresholdClassifier

        X, Y = self.xy()
        for base in (
            RandomForestClassifier(n_estimators=5, random_state=0),
            KNeighborsClassifier(5),
        ):
            clf = MultiLabelThresholdClassifier(base, cv=2).fit(X, Y)
            listed = base.fit(X, Y).predict_proba(X)
            assert isinstance(listed, list)
            assert np.allclose(clf.predict_proba(X), np.column_stack([p[:, 1] for p in listed]))
            assert clf.predict(X).shape == Y.shape

    def test_label_seen_with_one_class(self) -> None:
        from sklearn.model_selection import KFold
        from sklearn.tree import DecisionTreeClassifier

        from multilabel_attr.thresholds import MultiLabelThresholdClassifier

        X, Y = self.xy(60)
        Y[:, 2] = 0
        Y[-5:, 2] = 1  # only the last fold's samples have label 2
        clf = MultiLabelThresholdClassifier(
            DecisionTreeClassifier(random_state=0), cv=KFold(2), min_positives=0
        )
        clf.fit(X, Y)
        assert np.all(clf.oof_scores_[30:, 2] == 0.0)

    def test_decision_function_and_conventions(self) -> None:
        from sklearn.base import clone
        from sklearn.exceptions import NotFittedError
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        from multilabel_attr.thresholds import MultiLabelThresholdClassifier

        X, Y = self.xy()
        clf = MultiLabelThresholdClassifier(
            OneVsRestClassifier(LogisticRegression()),
            response_method="decision_function",
            metric="matthews",
            cv=3,
        )
        with pytest.raises(NotFittedError):
            clf.predict(X)
        assert not hasattr(clf, "predict_proba")
        params = clf.get_params()
        assert params["metric"] == "matthews"
        assert "estimator__estimator__C" in params
        copy = clone(clf).set_params(estimator__estimator__C=0.5, strategy="shared")
        assert copy.get_params()["strategy"] == "shared"
        assert clf.strategy == "per_label"
        clf.fit(X, Y)
        assert clf.thresholds_.metric == "matthews correlation"
        assert clf.decision_function(X).min() < 0  # margins, not probabilities
        assert not hasattr(clone(clf), "thresholds_")
        with pytest.raises(ValueError, match="response_method"):
            MultiLabelThresholdClassifier(LogisticRegression(), response_method="proba").fit(X, Y)
        with pytest.raises(ValueError, match="Y must contain only 0 and 1"):
            clf.fit(X, Y * 2)
        with pytest.raises(ValueError, match="strategy"):
            clone(clf).set_params(strategy="grid").fit(X, Y)

    @pytest.mark.parametrize(
        "check",
        [
            "check_estimator_cloneable",
            "check_estimator_repr",
            "check_no_attributes_set_in_init",
            "check_get_params_invariance",
            "check_set_params",
            "check_parameters_default_constructible",
            "check_do_not_raise_errors_in_init_or_set_params",
            "check_mixin_order",
            "check_estimators_unfitted",
            pytest.param(
                "check_classifiers_multilabel_representation_invariance",
                marks=pytest.mark.slow,
            ),
            "check_classifiers_multilabel_output_format_predict",
            "check_classifiers_multilabel_output_format_predict_proba",
        ],
    )
    def test_sklearn_estimator_checks(self, check: str) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.utils import estimator_checks

        from multilabel_attr.thresholds import MultiLabelThresholdClassifier

        estimator = MultiLabelThresholdClassifier(OneVsRestClassifier(LogisticRegression()), cv=3)
        getattr(estimator_checks, check)(type(estimator).__name__, estimator)
