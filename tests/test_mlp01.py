"""Behaviour specific to MLP01Classifier."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_circles

from sk01loss import MLP01Classifier, SCD01Classifier


def xor_blobs():
    X, labels = make_blobs(400, centers=[[0, 0], [1, 1], [0, 1], [1, 0]], cluster_std=0.12,
                           random_state=0)
    return X, (labels >= 2).astype(int)


@pytest.mark.parametrize("make", [
    xor_blobs,
    lambda: make_circles(400, factor=0.5, noise=0.05, random_state=0),
], ids=["xor", "circles"])
def test_learns_what_a_linear_model_cannot(make):
    X, y = make()
    mlp = MLP01Classifier(n_hidden=10, n_estimators=3, max_iter=400, random_state=0).fit(X, y)
    linear = SCD01Classifier(n_estimators=3, max_iter=400, random_state=0).fit(X, y)
    assert mlp.score(X, y) >= 0.97
    assert linear.score(X, y) < 0.8


def test_fitted_attributes_reproduce_the_votes():
    X, y = make_blobs(300, centers=3, random_state=2)
    clf = MLP01Classifier(n_hidden=5, n_estimators=4, max_iter=100, random_state=0).fit(X, y)
    assert clf.hidden_coef_.shape == (3, 4, 2, 5)
    assert clf.hidden_intercept_.shape == (3, 4, 5)
    assert clf.coef_.shape == (3, 4, 5) and clf.intercept_.shape == (3, 4)
    np.testing.assert_allclose(np.linalg.norm(clf.hidden_coef_, axis=2), 1.0)
    np.testing.assert_allclose(np.linalg.norm(clf.coef_, axis=2), 1.0)
    hidden = clf.hidden_activations(X)
    assert hidden.shape == (3, 4, 300, 5) and hidden.dtype == bool
    scores = np.einsum("pvnh,pvh->pvn", hidden, clf.coef_) + clf.intercept_[..., None]
    counts = (scores > 0).sum(axis=1)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[counts.argmax(axis=0)])
    np.testing.assert_allclose(clf.decision_function(X), counts.T / 4)


def test_best_objective_is_tracked_on_the_training_set():
    X, y = xor_blobs()
    clf = MLP01Classifier(n_hidden=6, n_estimators=2, max_iter=200, random_state=1).fit(X, y)
    for v in range(2):
        hidden = clf.hidden_activations(X)[0, v]
        pred = hidden @ clf.coef_[0, v] + clf.intercept_[0, v] > 0
        tp, tn = np.sum(pred & (y == 1)), np.sum(~pred & (y == 0))
        balanced = 0.5 * (tp / np.sum(y == 1) + tn / np.sum(y == 0))
        assert clf.train_objective_[0, v] == pytest.approx(balanced + (tp + tn) / len(y))


def test_authors_bias_init_same_on_every_device_and_validated():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(120, centers=2, n_features=4, random_state=3)
    X = np.round(X)  # integer values: the batched path rounds alike
    fits = [MLP01Classifier(n_hidden=4, n_estimators=2, max_iter=30, random_state=0,
                            bias_init="authors", device=device).fit(X, y)
            for device in ("cpu", "numpy")]
    for name in ("hidden_coef_", "hidden_intercept_", "coef_", "intercept_"):
        np.testing.assert_array_equal(getattr(fits[0], name), getattr(fits[1], name))
    median = MLP01Classifier(n_hidden=4, n_estimators=2, max_iter=30, random_state=0).fit(X, y)
    assert not np.array_equal(median.hidden_intercept_, fits[0].hidden_intercept_)
    with pytest.raises(ValueError, match="bias_init"):
        MLP01Classifier(bias_init="mean").fit(X, y)
