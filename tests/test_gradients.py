"""Analytic input gradients against central finite differences of the models' own
outputs (``predict_proba`` / ``decision_function``), for every supported model type."""

import warnings

import numpy as np
import pytest
from scipy.special import log_softmax, logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.attacks._gradients import (
    check_gradient_support, logit_gradient, logits, loss_gradient)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    rng = np.random.RandomState(0)
    rows = rng.choice(len(X), 30, replace=False)
    return X, y, X[rows] + rng.uniform(-0.02, 0.02, size=(30, 4)), y[rows]


def _labels(y, binary):
    return (y == 2).astype(int) if binary else y


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # convergence
        return model.fit(X, y)


def _finite_difference(f, X, h=1e-6):
    """d f(X)[i] / d X[i, j] for every row i (f maps rows to one number each)."""
    grad = np.empty_like(X)
    for j in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, j] = h
        grad[:, j] = (f(X + step) - f(X - step)) / (2 * h)
    return grad


def _cross_entropy_from_proba(model, y_index):
    return lambda Z: -np.log(model.predict_proba(Z)[np.arange(len(Z)), y_index])


def _cross_entropy_from_decision(model, y_index):
    def loss(Z):
        scores = model.decision_function(Z)
        if scores.ndim == 1:  # logistic loss of the score of classes_[1]
            signed = np.where(y_index == 1, scores, -scores)
            return np.logaddexp(0.0, -signed)
        return -log_softmax(scores, axis=1)[np.arange(len(Z)), y_index]
    return loss


MLPS = [
    pytest.param(MLPClassifier((5, 4), activation=activation, max_iter=300, random_state=0),
                 id=f"MLP-{activation}")
    for activation in ("identity", "logistic", "tanh", "relu")
]
PROBABILISTIC = MLPS + [pytest.param(LogisticRegression(C=10.0), id="LogisticRegression")]
HINGE = [
    pytest.param(LinearSVC(C=1.0), id="LinearSVC"),
    pytest.param(SGDClassifier(random_state=0), id="SGDClassifier"),
    pytest.param(RidgeClassifier(), id="RidgeClassifier"),
]


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "multiclass"])
@pytest.mark.parametrize("model", PROBABILISTIC)
def test_loss_gradient_is_the_gradient_of_the_models_log_loss(model, binary, iris):
    X, y, points, labels = iris
    model = _fit(model, X, _labels(y, binary))
    y_index = _labels(labels, binary)
    expected = _finite_difference(_cross_entropy_from_proba(model, y_index), points)
    np.testing.assert_allclose(loss_gradient(model, points, y_index), expected,
                               rtol=1e-5, atol=1e-8)
    # the scaled form (used by FGSM) has the same signs
    scaled = loss_gradient(model, points, y_index, scaled=True)
    np.testing.assert_array_equal(np.sign(scaled), np.sign(loss_gradient(model, points, y_index)))


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "multiclass"])
@pytest.mark.parametrize("model", HINGE)
def test_loss_gradient_of_margin_models_is_the_cross_entropy_of_the_scores(model, binary, iris):
    X, y, points, labels = iris
    model = _fit(model, X, _labels(y, binary))
    y_index = _labels(labels, binary)
    expected = _finite_difference(_cross_entropy_from_decision(model, y_index), points)
    np.testing.assert_allclose(loss_gradient(model, points, y_index), expected,
                               rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("model", PROBABILISTIC + HINGE)
def test_logits_match_the_models_outputs(model, iris):
    X, y, points, _ = iris
    for binary in (True, False):
        fitted = _fit(model, X, _labels(y, binary))
        Z = logits(fitted, points)
        if hasattr(fitted, "decision_function") and not isinstance(fitted, MLPClassifier):
            np.testing.assert_allclose(Z.squeeze(axis=1) if binary else Z,
                                       fitted.decision_function(points), rtol=1e-10)
        else:  # MLP: log-probabilities are the logits up to a constant per row
            log_p = np.log(fitted.predict_proba(points))
            if binary:
                np.testing.assert_allclose(Z[:, 0], log_p[:, 1] - log_p[:, 0], rtol=1e-6)
            else:
                np.testing.assert_allclose(Z - logsumexp(Z, axis=1, keepdims=True), log_p,
                                           rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("model", PROBABILISTIC + HINGE)
def test_logit_gradient_matches_finite_differences(model, iris):
    X, y, points, labels = iris
    n = len(points)
    # binary: F_1 = z and F_0 = -z
    fitted = _fit(model, X, _labels(y, True))
    y_index = _labels(labels, True)
    sign = np.where(y_index == 1, 1.0, -1.0)
    if isinstance(fitted, MLPClassifier):  # z from the model's own probabilities
        expected = _finite_difference(
            lambda Z: sign * np.diff(np.log(fitted.predict_proba(Z)), axis=1)[:, 0], points)
    else:
        expected = _finite_difference(lambda Z: sign * fitted.decision_function(Z), points)
    np.testing.assert_allclose(logit_gradient(fitted, points, y_index), expected,
                               rtol=1e-5, atol=1e-8)
    # multiclass: logits are identifiable from probabilities up to a shared constant, so
    # compare differences of two classes' logits
    fitted = _fit(model, X, y)
    k, j = labels, (labels + 1) % 3
    if isinstance(fitted, MLPClassifier):
        def gap(Z):
            log_p = np.log(fitted.predict_proba(Z))
            return log_p[np.arange(n), k] - log_p[np.arange(n), j]
    else:
        def gap(Z):
            scores = fitted.decision_function(Z)
            return scores[np.arange(n), k] - scores[np.arange(n), j]
    np.testing.assert_allclose(
        logit_gradient(fitted, points, k) - logit_gradient(fitted, points, j),
        _finite_difference(gap, points), rtol=1e-5, atol=1e-8)


def test_scd01_surrogate_is_the_mean_vote(iris):
    X, y, points, labels = iris
    model = SCD01Classifier(n_estimators=4, max_iter=40, random_state=0).fit(X, y)
    w, b = model.coef_.mean(axis=1), model.intercept_.mean(axis=1)
    check_gradient_support(model, surrogate=True)

    def loss(Z):
        return -log_softmax(Z @ w.T + b, axis=1)[np.arange(len(Z)), labels]

    np.testing.assert_allclose(loss_gradient(model, points, labels),
                               _finite_difference(loss, points), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(logit_gradient(FrozenEstimator(model), points, labels),
                               w[labels])


def test_scaled_loss_gradient_survives_saturated_probabilities(iris):
    X, y, points, labels = iris
    model = _fit(MLPClassifier((5,), max_iter=300, random_state=0), X, y)
    model.coefs_[-1] = model.coefs_[-1] * 1e5  # logit gaps beyond exp's range
    assert np.all(model.predict_proba(points).max(axis=1) == 1.0)
    predicted = model.predict(points)
    vanished = np.all(loss_gradient(model, points, predicted) == 0, axis=1)  # underflow
    assert vanished.sum() > len(points) // 2
    scaled = loss_gradient(model, points, predicted, scaled=True)
    assert np.all(np.abs(scaled).sum(axis=1) > 0)


@pytest.mark.parametrize("model, message", [
    (DecisionTreeClassifier(), "DecisionTreeClassifier has none"),
    (SVC(kernel="linear"), "SVC has none"),  # multiclass: one-vs-one rows
    (SCD01Classifier(n_estimators=1, max_iter=10), "LinearSignAttack"),
    (MLP01Classifier(n_hidden=3, n_estimators=1, max_iter=10), "MLP01Attack"),
])
def test_models_without_an_input_gradient(model, message, iris):
    X, y, _, _ = iris
    with pytest.raises(TypeError, match=message):
        check_gradient_support(model.fit(X, y))


def test_multilabel_mlp_is_refused(iris):
    X, y, _, _ = iris
    Y = np.column_stack([y == 0, y == 1]).astype(int)
    model = _fit(MLPClassifier((3,), max_iter=20, random_state=0), X, Y)
    with pytest.raises(TypeError, match="multilabel"):
        check_gradient_support(model)


class SquaredFeatures(ClassifierMixin, BaseEstimator):
    """A classifier of another kind that brings its own gradient: a ridge classifier
    on the squared features (no ``coef_`` of its own)."""

    def fit(self, X, y):
        self.ridge_ = RidgeClassifier().fit(X ** 2, y)
        self.classes_ = self.ridge_.classes_
        return self

    def decision_function(self, X):
        return self.ridge_.decision_function(np.asarray(X) ** 2)

    def predict(self, X):
        return self.ridge_.predict(np.asarray(X) ** 2)

    def decision_function_vjp(self, X, G):
        return (G @ np.atleast_2d(self.ridge_.coef_)) * 2 * np.asarray(X)


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "multiclass"])
def test_a_model_with_decision_function_vjp_gives_its_own_gradient(binary, iris):
    X, y, points, labels = iris
    model = SquaredFeatures().fit(X, _labels(y, binary))
    y_index = _labels(labels, binary)
    check_gradient_support(model)
    np.testing.assert_allclose(
        loss_gradient(model, points, y_index),
        _finite_difference(_cross_entropy_from_decision(model, y_index), points),
        rtol=1e-5, atol=1e-8)
    n = len(points)
    if binary:
        sign = np.where(y_index == 1, 1.0, -1.0)
        expected = _finite_difference(lambda Z: sign * model.decision_function(Z), points)
    else:
        expected = _finite_difference(
            lambda Z: model.decision_function(Z)[np.arange(n), y_index], points)
    np.testing.assert_allclose(logit_gradient(FrozenEstimator(model), points, y_index),
                               expected, rtol=1e-5, atol=1e-8)
