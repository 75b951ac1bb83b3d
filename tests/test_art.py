"""Interoperability with the Adversarial Robustness Toolbox: skipped without it."""

import numpy as np
import pytest
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.attacks import HopSkipJumpAttack
from sk01loss.robustness import art_labels, certified_radius, to_art

art = pytest.importorskip("art", reason="the Adversarial Robustness Toolbox is not installed")
from art.attacks.evasion import BoundaryAttack, HopSkipJump  # noqa: E402


def tiny(n=60, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(0.1, 0.9, (n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * np.sin(6 * X[:, 1]) > 0.9).astype(int)
    return X, y


def test_black_box_answers_the_labels_one_hot():
    X, y = tiny()
    model = SCD01Classifier(n_estimators=3, max_iter=30, random_state=0).fit(X, y + 5)
    classifier = to_art(FrozenEstimator(model))
    np.testing.assert_array_equal(classifier.predict(X).argmax(axis=1), model.predict(X) - 5)
    np.testing.assert_array_equal(art_labels(model, y + 5), np.eye(2)[y])
    with pytest.raises(ValueError, match="does not know"):
        art_labels(model, y)


@pytest.mark.parametrize("make", [
    lambda: SCD01Classifier(n_estimators=5, max_iter=40, random_state=0),
    lambda: MLP01Classifier(n_hidden=2, n_estimators=3, max_iter=40, random_state=0),
])
def test_art_decision_attacks_fool_the_models_and_respect_certificates(make):
    X, y = tiny()
    model = make().fit(X, y)
    X = X[:10].astype(np.float32)
    cert = certified_radius(model, X)
    classifier = to_art(model)
    for attack in (HopSkipJump(classifier, targeted=False, norm=2, max_iter=5, max_eval=200,
                               init_eval=20, verbose=False),
                   BoundaryAttack(classifier, targeted=False, max_iter=100, num_trial=10,
                                  verbose=False)):
        X_adv = attack.generate(X)
        fooled = model.predict(X_adv) != model.predict(X)
        assert fooled.mean() >= 0.8
        linf = np.abs(X_adv - X).max(axis=1)
        assert np.all(linf[fooled] >= cert.radius[fooled] - 1e-6)


def test_art_and_our_hopskipjump_on_a_pipeline():
    X, y = tiny()
    pipe = make_pipeline(StandardScaler(), LogisticRegression(C=100.0)).fit(X, y)
    X = X[:10]
    exact = certified_radius(pipe[-1], pipe[0].transform(X), norm=2, clip=None).radius
    ours = HopSkipJumpAttack(FrozenEstimator(pipe), constraint="l2", max_steps=20,
                             random_state=0).fit(X).minimize(X)
    theirs = HopSkipJump(to_art(pipe), targeted=False, norm=2, max_iter=20, max_eval=1000,
                         init_eval=100, verbose=False).generate(X.astype(np.float32))
    theirs_l2 = np.linalg.norm(theirs - X, axis=1)
    assert ours.success.all()
    assert np.all(pipe.predict(theirs) != pipe.predict(X))
    # distances in the input space, where the scaler stretches the exact radius
    scale = pipe[0].scale_
    input_radius = exact * np.min(scale)  # a lower bound in input units
    assert np.all(ours.distortion >= input_radius - 1e-9)
    assert np.all(theirs_l2 >= input_radius - 1e-6)
