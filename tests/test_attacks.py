"""The attack transformers: a check suite run over every attack (imbalanced-learn
style: a list of check functions, each run for every attack in ``sk01loss.attacks``),
then behaviour specific to each attack."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.decomposition import PCA
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.validation import check_is_fitted

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.attacks import (
    BoundaryAttack,
    FGSMAttack,
    HopSkipJumpAttack,
    LinearSignAttack,
    MLP01Attack,
    SmoothedPGDAttack,
    SubstituteAttack,
)
from sk01loss.attacks._gradients import loss_gradient
from sk01loss.attacks._views import resolve_view
from sk01loss.utils.discovery import all_attacks

from .test_gradients import SquaredFeatures


def separable(n=80, seed=0):
    """Linearly separable points in [0.2, 0.8]^3 with a gap around the boundary."""
    rng = np.random.RandomState(seed)
    w = np.array([1.0, -0.8, 0.6])
    X = rng.uniform(0.2, 0.8, size=(5 * n, 3))
    score = (X - 0.5) @ w
    keep = np.abs(score) > 0.05
    return X[keep][:n], (score[keep][:n] > 0).astype(int)


@pytest.fixture(scope="module")
def data():
    return separable()


def _linear_margin(model, X):
    """L-infinity distance of every row to a binary linear model's boundary."""
    w, b = np.ravel(model.coef_), np.ravel(model.intercept_)[0]
    return np.abs(X @ w + b) / np.abs(w).sum()


def _linear_l2_margin(model, X):
    """L2 distance of every row to a binary linear model's boundary."""
    w, b = np.ravel(model.coef_), np.ravel(model.intercept_)[0]
    return np.abs(X @ w + b) / np.linalg.norm(w)


def _mlp01_node_margin(model, X):
    """L-infinity distance of every row to the only hidden node's hyperplane."""
    w, b = model.hidden_coef_[0, 0, :, 0], model.hidden_intercept_[0, 0, 0]
    return np.abs(X @ w + b) / np.abs(w).sum()


# Every attack, as the suite builds it: ``make(**params)`` an unfitted attack on a
# small model; ``make_linear(**params)`` one whose success is decided by a single
# hyperplane, and ``margin(fitted_attack, X)`` the distance of each row to it.
CASES = {
    "LinearSignAttack": dict(
        make=lambda **kw: LinearSignAttack(LogisticRegression(C=100.0), **kw),
        make_linear=lambda **kw: LinearSignAttack(LogisticRegression(C=100.0), **kw),
        margin=lambda attack, X: _linear_margin(attack.estimator_, X),
    ),
    "FGSMAttack": dict(
        make=lambda **kw: FGSMAttack(MLPClassifier((6,), max_iter=300, random_state=0), **kw),
        make_linear=lambda **kw: FGSMAttack(LinearSVC(C=100.0), **kw),
        margin=lambda attack, X: _linear_margin(attack.estimator_, X),
    ),
    "MLP01Attack": dict(
        make=lambda **kw: MLP01Attack(
            MLP01Classifier(n_hidden=4, n_estimators=1, max_iter=200, random_state=0),
            **{"random_state": 0, **kw}),
        # one hidden node: crossing its hyperplane flips a network that fits the data
        make_linear=lambda **kw: MLP01Attack(
            MLP01Classifier(n_hidden=1, n_estimators=1, max_iter=200, random_state=5),
            **{"random_state": 0, **kw}),
        margin=lambda attack, X: _mlp01_node_margin(attack.estimator_, X),
    ),
    "SubstituteAttack": dict(
        make=lambda **kw: SubstituteAttack(
            LogisticRegression(C=100.0), substitute=LogisticRegression(C=100.0),
            n_rounds=3, n_initial=20, **{"random_state": 0, **kw}),
        make_linear=lambda **kw: SubstituteAttack(
            LogisticRegression(C=100.0), substitute=LogisticRegression(C=100.0),
            n_rounds=3, n_initial=20, **{"random_state": 0, **kw}),
        # the target's margin: the substitute's weights share the target's signs here
        margin=lambda attack, X: _linear_margin(attack.estimator_, X),
    ),
    "SmoothedPGDAttack": dict(
        make=lambda **kw: SmoothedPGDAttack(
            MLP01Classifier(n_hidden=4, n_estimators=3, max_iter=100, random_state=0),
            **{"random_state": 0, **kw}),
        # one linear vote: the surrogate's gradient has the sign of its weights
        make_linear=lambda **kw: SmoothedPGDAttack(
            SCD01Classifier(n_estimators=1, max_iter=200, random_state=1),
            **{"random_state": 0, **kw}),
        margin=lambda attack, X: _linear_margin(attack.estimator_, X),
        sign_steps=False,
    ),
    # decision-based: eps bounds the norm of the attack (L-inf, or L2 for Boundary)
    "HopSkipJumpAttack": dict(
        make=lambda **kw: HopSkipJumpAttack(
            MLPClassifier((6,), max_iter=300, random_state=0),
            **{"max_steps": 10, "random_state": 0, **kw}),
        make_linear=lambda **kw: HopSkipJumpAttack(
            LogisticRegression(C=100.0), **{"max_steps": 30, "random_state": 0, **kw}),
        margin=lambda attack, X: _linear_margin(attack.estimator_, X),
        sign_steps=False,
    ),
    "BoundaryAttack": dict(
        make=lambda **kw: BoundaryAttack(
            MLPClassifier((6,), max_iter=300, random_state=0),
            **{"max_steps": 50, "random_state": 0, **kw}),
        make_linear=lambda **kw: BoundaryAttack(
            LogisticRegression(C=100.0), **{"max_steps": 300, "random_state": 0, **kw}),
        margin=lambda attack, X: _linear_l2_margin(attack.estimator_, X),
        sign_steps=False,
    ),
}


def _view_linear_margin(attack, X):
    """L-infinity distance of every row to a binary linear model's boundary in the
    input space of its pipeline (the steps folded into the weights)."""
    coef, intercept = resolve_view(attack.estimator_).linear()
    return np.abs(X @ coef[0] + intercept[0]) / np.abs(coef[0]).sum()


def _view_mlp01_node_margin(attack, X):
    """L-infinity distance of every row to the only hidden node's hyperplane, in the
    input space of the pipeline."""
    view = resolve_view(attack.estimator_)
    model = view.final.estimator
    w = view.pullback(model.hidden_coef_[0, 0, :, 0][None, :])[0]
    b = view.transform(np.zeros((1, X.shape[1]))) @ model.hidden_coef_[0, 0, :, 0] \
        + model.hidden_intercept_[0, 0, 0]
    return np.abs(X @ w + b) / np.abs(w).sum()


# The white-box attacks again, on pipelines of affine steps: the contract holds in
# the pipeline's input space.
PIPELINE_CASES = {
    "LinearSignAttack-pipeline": dict(
        make=lambda **kw: LinearSignAttack(
            make_pipeline(StandardScaler(), LogisticRegression(C=100.0)), **kw),
        make_linear=lambda **kw: LinearSignAttack(
            make_pipeline(StandardScaler(), LogisticRegression(C=100.0)), **kw),
        margin=_view_linear_margin,
    ),
    "FGSMAttack-pipeline": dict(
        make=lambda **kw: FGSMAttack(make_pipeline(
            MinMaxScaler(), MLPClassifier((6,), max_iter=300, random_state=0)), **kw),
        make_linear=lambda **kw: FGSMAttack(
            make_pipeline(StandardScaler(), PCA(), LinearSVC(C=100.0)), **kw),
        margin=_view_linear_margin,
    ),
    "MLP01Attack-pipeline": dict(
        make=lambda **kw: MLP01Attack(make_pipeline(MaxAbsScaler(), MLP01Classifier(
            n_hidden=4, n_estimators=2, max_iter=200, random_state=0)),
            **{"random_state": 0, **kw}),
        make_linear=lambda **kw: MLP01Attack(make_pipeline(StandardScaler(), MLP01Classifier(
            n_hidden=1, n_estimators=1, max_iter=200, random_state=5)),
            **{"random_state": 0, **kw}),
        margin=_view_mlp01_node_margin,
    ),
    "SmoothedPGDAttack-pipeline": dict(
        make=lambda **kw: SmoothedPGDAttack(make_pipeline(StandardScaler(), MLP01Classifier(
            n_hidden=4, n_estimators=3, max_iter=100, random_state=0)),
            **{"random_state": 0, **kw}),
        make_linear=lambda **kw: SmoothedPGDAttack(make_pipeline(
            MinMaxScaler(), SCD01Classifier(n_estimators=1, max_iter=200, random_state=1)),
            **{"random_state": 0, **kw}),
        margin=_view_linear_margin,
        sign_steps=False,
    ),
}


def test_every_attack_has_a_case():
    assert {name for name, _ in all_attacks()} == set(CASES)
    assert {name.split("-")[0] for name in PIPELINE_CASES} <= set(CASES)


def check_perturbation_within_eps(case, X, y):
    attack = case["make"](eps=0.05).fit(X, y)
    for X_adv in (attack.transform(X), attack.generate(X, y)):
        assert np.abs(X_adv - X).max() <= 0.05 + 1e-12
        assert np.any(X_adv != X)


def check_clip_respected(case, X, y):
    X_adv = case["make"](eps=0.5, clip=(0.15, 0.85)).fit(X, y).generate(X, y)
    assert X_adv.min() >= 0.15 and X_adv.max() <= 0.85
    assert X_adv.min() == 0.15 or X_adv.max() == 0.85  # some point was clipped
    X_adv = case["make"](eps=0.5, clip=None).fit(X, y).generate(X, y)
    assert X_adv.min() < 0 or X_adv.max() > 1  # nothing clips it to [0, 1]
    X_adv = case["make"](eps=0.5).fit(X, y).generate(X, y)  # default (0, 1)
    assert X_adv.min() >= 0 and X_adv.max() <= 1


def check_input_not_mutated(case, X, y):
    attack = case["make"](eps=0.1)
    X_in = np.asfortranarray(X.copy())
    X_in.setflags(write=False)  # any write raises
    y_in = y.copy()
    attack.fit(X_in, y_in)
    out = [attack.transform(X_in), attack.generate(X_in, y_in)]
    np.testing.assert_array_equal(X_in, X)
    np.testing.assert_array_equal(y_in, y)
    for X_adv in out:
        assert not np.shares_memory(X_adv, X_in)
    for name, param in attack.get_params(deep=False).items():
        if hasattr(param, "fit"):  # the models passed in stay unfitted
            with pytest.raises(NotFittedError):
                check_is_fitted(param)


def check_deterministic(case, X, y):
    one = case["make"](eps=0.1, random_state=0).fit(X, y)
    two = case["make"](eps=0.1, random_state=0).fit(X, y)
    np.testing.assert_array_equal(one.transform(X), two.transform(X))
    np.testing.assert_array_equal(one.transform(X), one.transform(X))
    np.testing.assert_array_equal(one.generate(X, y), two.generate(X, y))


def check_shape_and_dtype(case, X, y):
    for dtype in (np.float32, np.float64):
        Xd = X.astype(dtype)
        attack = case["make"](eps=0.1).fit(Xd, y)
        for X_adv in (attack.transform(Xd), attack.generate(Xd, y)):
            assert X_adv.dtype == dtype and X_adv.shape == X.shape
            assert np.abs(X_adv.astype(np.float64) - Xd).max() <= 0.1 * (1 + 1e-6)
    X_int = (X * 10).astype(np.int64)
    assert case["make"](eps=0.1, clip=None).fit(X_int, y).transform(X_int).dtype == np.float64


def check_transform_attacks_predicted_labels(case, X, y):
    attack = case["make"](eps=0.1).fit(X, y)
    predicted = attack.estimator_.predict(X)
    flipped = 1 - predicted
    np.testing.assert_array_equal(attack.transform(X), attack.generate(X, predicted))
    assert np.any(attack.generate(X, flipped) != attack.transform(X))


def check_success_on_separable_data(case, X, y):
    attack = case["make_linear"](clip=None).fit(X, y)
    assert attack.estimator_.score(X, y) == 1.0  # precondition: the data are separated
    eps = 1.01 * case["margin"](attack, X).max()
    attack.set_params(eps=eps)
    X_adv = attack.generate(X, y)
    assert np.abs(X_adv - X).max() <= eps * (1 + 1e-12)
    np.testing.assert_array_equal(attack.estimator_.predict(X_adv), 1 - y)
    # below the smallest margin no adversary can exist
    attack.set_params(eps=0.99 * case["margin"](attack, X).min())
    np.testing.assert_array_equal(attack.estimator_.predict(attack.generate(X, y)), y)


def check_frozen_estimator(case, X, y):
    fitted = case["make"](eps=0.1).fit(X, y)
    frozen = FrozenEstimator(fitted.estimator_)
    attack = clone(fitted).set_params(estimator=frozen).fit(X)  # no labels needed
    assert attack.estimator_ is frozen
    np.testing.assert_array_equal(attack.transform(X), fitted.transform(X))
    unfitted = clone(fitted).set_params(estimator=FrozenEstimator(clone(fitted.estimator)))
    with pytest.raises(NotFittedError, match="not fitted"):
        unfitted.fit(X)
    with pytest.raises(ValueError, match="features"):
        clone(fitted).set_params(estimator=frozen).fit(X[:, :2])


def check_feature_names(case, X, y):
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    attack = case["make"](eps=0.1).set_output(transform="pandas").fit(frame, y)
    out = attack.transform(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["a", "b", "c"]
    np.testing.assert_array_equal(attack.get_feature_names_out(), ["a", "b", "c"])
    # a frozen model fitted on a DataFrame is called with its column names
    model = clone(case["make"]().estimator).fit(frame, y)
    frozen = clone(attack).set_params(estimator=FrozenEstimator(model))
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*feature names")
        frozen.fit(frame).transform(frame)


def check_bad_input(case, X, y):
    with pytest.raises(ValueError, match="eps"):
        case["make"](eps=-0.1).fit(X, y)
    with pytest.raises(ValueError, match="lower bound"):
        case["make"](clip=(1.0, 0.0)).fit(X, y)
    with pytest.raises(ValueError, match="clip"):
        case["make"](clip=(0.0, 1.0, 2.0)).fit(X, y)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        case["make"]().fit(X_nan, y)
    attack = case["make"]().fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        attack.transform(X_nan)
    with pytest.raises(ValueError, match="NaN"):
        attack.generate(X_nan, y)
    with pytest.raises(ValueError, match="labels"):
        attack.generate(X, y[:-1])
    with pytest.raises(ValueError, match="requires y"):
        case["make"]().fit(X)
    with pytest.raises(NotFittedError):
        case["make"]().transform(X)


def check_data_outside_clip_rejected(case, X, y):
    # an attack that clipped them would move points by more than eps
    message = r"X has values in \[0\.2.*, 0\.7.*\] outside clip=\(0\.25, 0\.75\).*MinMaxScaler"
    with pytest.raises(ValueError, match=message):
        case["make"](clip=(0.25, 0.75)).fit(X, y)
    attack = case["make"](eps=0.1).fit(X, y)
    for scaled in (X * 16, X - 0.5, (X * 255).astype(np.uint8)):
        with pytest.raises(ValueError, match="outside clip=.*or pass clip=None"):
            attack.transform(scaled)
        with pytest.raises(ValueError, match="outside clip=.*or pass clip=None"):
            attack.generate(scaled, y)
    # the bounds themselves are inside (float32 bounds rounded as the outputs are)
    edges = np.round(X).astype(np.float32)
    assert attack.generate(edges, y).dtype == np.float32


ATTACK_CHECKS = [
    check_perturbation_within_eps,
    check_clip_respected,
    check_data_outside_clip_rejected,
    check_input_not_mutated,
    check_deterministic,
    check_shape_and_dtype,
    check_transform_attacks_predicted_labels,
    check_success_on_separable_data,
    check_frozen_estimator,
    check_feature_names,
    check_bad_input,
]


@pytest.mark.parametrize("check", ATTACK_CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("name", sorted(CASES) + sorted(PIPELINE_CASES))
def test_attack_checks(name, check, data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # convergence of the small models
        check({**CASES, **PIPELINE_CASES}[name], X, y)


# --- LinearSignAttack -------------------------------------------------------------


def test_linear_sign_moves_every_weighted_feature_by_exactly_eps():
    X, y = separable()
    model = LinearSVC(C=1.0).fit(X, y)
    model.coef_[0, 1] = 0.0  # a feature the model ignores does not move
    X_adv = LinearSignAttack(FrozenEstimator(model), eps=0.125, clip=None).fit(X).generate(X, y)
    step = X_adv - X
    np.testing.assert_allclose(np.abs(step[:, [0, 2]]), 0.125, rtol=1e-12)
    np.testing.assert_array_equal(step[:, 1], 0.0)
    y_pm = np.where(y == 1, 1.0, -1.0)
    np.testing.assert_allclose(step, -0.125 * y_pm[:, None] * np.sign(model.coef_[0]))


def test_linear_sign_multiclass_follows_the_row_of_the_attacked_class():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    model = LogisticRegression(max_iter=500).fit(X, y)
    attack = LinearSignAttack(FrozenEstimator(model), eps=0.05, clip=None).fit(X)
    X_adv = attack.generate(X, y)
    np.testing.assert_allclose(X_adv, X - 0.05 * np.sign(model.coef_[y]))
    assert model.score(X_adv, y) < model.score(X, y)
    predicted = model.predict(X)
    np.testing.assert_allclose(attack.transform(X), X - 0.05 * np.sign(model.coef_[predicted]))


def test_linear_sign_on_scd01_single_vote_misclassifies_beyond_the_margin():
    X, y = separable()
    model = SCD01Classifier(n_estimators=1, max_iter=200, random_state=1).fit(X, y)
    assert model.score(X, y) == 1.0
    w, b = model.coef_[0, 0], model.intercept_[0, 0]
    margin = np.abs(X @ w + b) / np.abs(w).sum()
    attack = LinearSignAttack(FrozenEstimator(model), eps=1.01 * margin.max(), clip=None)
    np.testing.assert_array_equal(model.predict(attack.fit(X).generate(X, y)), 1 - y)


def test_linear_sign_scd01_aggregate_direction_and_single_votes():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    model = SCD01Classifier(n_estimators=5, max_iter=60, random_state=0).fit(X, y)
    aggregate = LinearSignAttack(FrozenEstimator(model), eps=0.1, clip=None).fit(X)
    np.testing.assert_allclose(aggregate.generate(X, y),
                               X - 0.1 * np.sign(model.coef_.mean(axis=1)[y]))
    np.testing.assert_array_equal(aggregate.transform(X),
                                  aggregate.generate(X, model.predict(X)))
    vote = LinearSignAttack(FrozenEstimator(model), votes=[3], eps=0.1, clip=None).fit(X)
    np.testing.assert_allclose(vote.generate(X, y), X - 0.1 * np.sign(model.coef_[y, 3]))
    # transform attacks the labels vote 3 predicts on its own: one vote per problem
    scores = np.stack([X @ model.coef_[p, 3] + model.intercept_[p, 3] for p in range(3)])
    own = np.argmax(scores > 0, axis=0)
    np.testing.assert_allclose(vote.transform(X), X - 0.1 * np.sign(model.coef_[own, 3]))
    with pytest.raises(ValueError, match=r"indices in range\(5\)"):
        LinearSignAttack(FrozenEstimator(model), votes=[5]).fit(X)


def test_vote_restricted_predictions_match_the_estimators():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    for labels in (y, (y == 2).astype(int)):  # multiclass and binary
        scd = SCD01Classifier(n_estimators=4, max_iter=40, random_state=0).fit(X, labels)
        mlp = MLP01Classifier(n_hidden=4, n_estimators=3, max_iter=40, random_state=0).fit(
            X, labels)
        np.testing.assert_array_equal(scd.classes_[scd._predict_index(X, range(4))],
                                      scd.predict(X))
        np.testing.assert_array_equal(mlp.classes_[mlp._predict_index(X, range(3))],
                                      mlp.predict(X))
        single = MLP01Classifier(n_hidden=4, n_estimators=1, max_iter=40, random_state=0).fit(
            X, labels)  # vote 0 of the 3-vote model
        np.testing.assert_array_equal(mlp.classes_[mlp._predict_index(X, [0])],
                                      single.predict(X))
        np.testing.assert_array_equal(mlp.select_votes([0]).predict(X), single.predict(X))


@pytest.mark.parametrize("model, error", [
    (MLPClassifier(max_iter=20), TypeError),
    (MLP01Classifier(n_hidden=3, n_estimators=1, max_iter=10), TypeError),
    (DecisionTreeClassifier(), TypeError),
])
def test_linear_sign_rejects_nonlinear_models(model, error):
    X, y = separable()
    with pytest.raises(error, match="LinearSignAttack"):
        LinearSignAttack(model).fit(X, y)


def test_vote_only_for_ensembles():
    X, y = separable()
    with pytest.raises(ValueError, match="votes=.* selects votes of an SCD01Classifier"):
        LinearSignAttack(LinearSVC(), votes=[0]).fit(X, y)


# --- FGSMAttack --------------------------------------------------------------------


@pytest.mark.parametrize("model", [LogisticRegression(), LinearSVC(), LinearSVC(C=0.01)])
def test_fgsm_on_binary_linear_models_is_the_linear_sign_step(model):
    X, y = separable()
    fgsm = FGSMAttack(model, eps=0.1).fit(X, y)
    linear = LinearSignAttack(model, eps=0.1).fit(X, y)
    np.testing.assert_array_equal(fgsm.generate(X, y), linear.generate(X, y))


def test_a_model_with_its_own_gradient_is_an_fgsm_target_and_a_substitute():
    X, y = separable()
    model = SquaredFeatures().fit(X, y)
    fgsm = FGSMAttack(FrozenEstimator(model), eps=0.1).fit(X, y)
    expected = np.clip(X + 0.1 * np.sign(loss_gradient(model, X, y)), 0, 1)
    np.testing.assert_array_equal(fgsm.generate(X, y), expected)
    target = FrozenEstimator(LogisticRegression().fit(X, y))
    attack = SubstituteAttack(target, substitute=SquaredFeatures(), n_rounds=3,
                              n_initial=20, random_state=0).fit(X)
    assert isinstance(attack.substitute_, SquaredFeatures)
    assert [h["set_size"] for h in attack.history_] == [20, 40, 80]


def test_fgsm_raises_the_loss_of_an_mlp():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = MLPClassifier((10, 5), activation="tanh", max_iter=500, random_state=0).fit(X, y)
    X_adv = FGSMAttack(FrozenEstimator(model), eps=0.05).fit(X).generate(X, y)

    def loss(points):
        return -np.log(model.predict_proba(points)[np.arange(len(y)), y])

    assert np.all(loss(X_adv) > loss(X))
    assert model.score(X_adv, y) < model.score(X, y)


@pytest.mark.parametrize("model, hint", [
    (DecisionTreeClassifier(), "has none"),
    (SCD01Classifier(n_estimators=1, max_iter=10), "LinearSignAttack"),
    (MLP01Classifier(n_hidden=3, n_estimators=1, max_iter=10), "MLP01Attack"),
])
def test_fgsm_needs_an_input_gradient(model, hint):
    X, y = separable()
    with pytest.raises(TypeError, match=hint):
        FGSMAttack(model).fit(X, y)


def test_fgsm_moves_points_a_confident_model_classifies_right():
    X, y = separable()
    model = LogisticRegression().fit(X, y)
    model.coef_ *= 1e4  # logits of thousands: probabilities round to 0 and 1
    model.intercept_ *= 1e4
    assert np.all(model.predict_proba(X).max(axis=1) == 1.0)
    X_adv = FGSMAttack(FrozenEstimator(model), eps=0.1, clip=None).fit(X).generate(X, y)
    np.testing.assert_allclose(np.abs(X_adv - X), 0.1)


# --- MLP01Attack --------------------------------------------------------------------


def _node_candidates(model, X, problem_of_row, votes, eps, clip):
    """Every per-node candidate of the paper's rule (Sec. III-B), shape (n_candidates, n, d)."""
    candidates = []
    for v in votes:
        for j in range(model.n_hidden):
            W = model.hidden_coef_[problem_of_row, v, :, j]
            b = model.hidden_intercept_[problem_of_row, v, j]
            side = np.where(np.sum(X * W, axis=1) + b > 0, 1.0, -1.0)
            candidates.append(np.clip(X - eps * side[:, None] * np.sign(W), *clip))
    return np.array(candidates)


@pytest.mark.parametrize("eps", [0.02, 0.15])
@pytest.mark.parametrize("vote", [0, 2, None])  # votes=[vote], or all
@pytest.mark.parametrize("multiclass", [False, True])
def test_mlp01_attack_returns_a_node_candidate_and_prefers_fooling_ones(vote, multiclass, eps):
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    if not multiclass:
        y = (y == 1).astype(int)
    model = MLP01Classifier(n_hidden=5, n_estimators=3, max_iter=100, random_state=0).fit(X, y)
    attack = MLP01Attack(FrozenEstimator(model), votes=None if vote is None else [vote],
                         eps=eps, random_state=0).fit(X)
    X_adv = attack.generate(X, y)
    problem = y if multiclass else np.zeros_like(y)
    votes = range(3) if vote is None else [vote]
    candidates = _node_candidates(model, X, problem, votes, eps, (0.0, 1.0))
    assert len(candidates) == 5 * len(votes)
    equal = np.all(np.isclose(candidates, X_adv[None]), axis=2)  # (candidate, row)
    assert np.all(equal.any(axis=0))  # every row is one of its candidates
    # judged by the attacked model: the single vote, or the ensemble
    if vote is None:
        judge = model.predict
    else:  # (the helper is checked against the estimator above)
        judge = model.select_votes([vote]).predict
    fooled = np.array([judge(c) != y for c in candidates])
    some = fooled.any(axis=0)
    assert some.any() if eps > 0.1 else not some.all()  # both branches occur
    # fooled exactly where some candidate fools (else a fallback candidate)
    np.testing.assert_array_equal(judge(X_adv) != y, some)


def test_mlp01_attack_order_is_random_and_seeded():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    y = (y == 1).astype(int)
    model = MLP01Classifier(n_hidden=8, n_estimators=1, max_iter=100, random_state=0).fit(X, y)
    outputs = [MLP01Attack(FrozenEstimator(model), eps=0.3, random_state=seed).fit(X)
               .generate(X, y) for seed in (0, 0, 1)]
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert np.any(outputs[0] != outputs[2])


def test_mlp01_attack_rejects_other_models_and_bad_votes():
    X, y = separable()
    with pytest.raises(TypeError, match="MLP01Classifier"):
        MLP01Attack(LogisticRegression()).fit(X, y)
    model = MLP01Classifier(n_hidden=3, n_estimators=2, max_iter=20, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"indices in range\(2\)"):
        MLP01Attack(FrozenEstimator(model), votes=[2]).fit(X)
    with pytest.raises(ValueError, match=r"pass a count in \[1, 2\]"):
        MLP01Attack(FrozenEstimator(model), votes=3).fit(X)


# --- SubstituteAttack --------------------------------------------------------------


class PredictOnlyOracle(ClassifierMixin, BaseEstimator):
    """A black box: records every query; ``predict`` is its only working method."""

    def __init__(self, model):
        self._model = model
        self.queries = []

    def __sklearn_is_fitted__(self):
        return True

    def __getattr__(self, name):  # no classes_, coef_, decision_function, ...
        raise AttributeError(f"the black box has no {name}")

    def fit(self, X, y):  # pragma: no cover - never called on a frozen target
        raise AssertionError("the black box is never refitted")

    def decision_function(self, X):  # pragma: no cover
        raise AssertionError("the black box only answers predict")

    predict_proba = decision_function

    def predict(self, X):
        self.queries.append(np.array(X, copy=True))
        return self._model.predict(X)


def _oracle(X, y):
    return PredictOnlyOracle(LogisticRegression().fit(X, y))


def test_substitute_set_sizes_and_the_papers_query_count():
    X, y = separable(n=300, seed=1)
    oracle = _oracle(X, y)
    attack = SubstituteAttack(FrozenEstimator(oracle), substitute=LogisticRegression(),
                              random_state=0).fit(X)  # the paper's 200 / 6400 / 20 rounds
    sizes = [record["set_size"] for record in attack.history_]
    assert sizes == [200, 400, 800, 1600, 3200] + [6400] * 15
    assert [len(q) for q in oracle.queries] == sizes
    assert sum(len(q) for q in oracle.queries) == attack.n_queries_ == 102_200
    assert attack.history_[-1]["total_queries"] == 102_200


def test_substitute_augmentation_doubles_then_replaces_with_one_sign_per_round():
    X, y = separable(n=100, seed=2)
    oracle = _oracle(X, y)
    lmbda = 0.05
    SubstituteAttack(FrozenEstimator(oracle), substitute=LogisticRegression(),
                     n_rounds=7, n_initial=5, max_set_size=40, lmbda=lmbda,
                     random_state=3).fit(X)
    sets = oracle.queries
    assert [len(s) for s in sets] == [5, 10, 20, 40, 40, 40, 40]
    signs = []
    for before, after in zip(sets, sets[1:]):
        # the substitute of that round, refitted here: logistic regression is deterministic
        substitute = LogisticRegression().fit(before, oracle._model.predict(before))
        labels = substitute.classes_.searchsorted(oracle._model.predict(before))
        gradient_sign = np.where(labels == 1, 1.0, -1.0)[:, None] * np.sign(substitute.coef_[0])
        new = after[len(before):] if len(after) > len(before) else after
        if len(after) > len(before):
            np.testing.assert_array_equal(after[:len(before)], before)  # doubling keeps D
        matches = [s for s in (1.0, -1.0)
                   if np.allclose(new, before + s * lmbda * gradient_sign, atol=1e-12)]
        assert len(matches) == 1  # one sign for the whole round
        signs.append(matches[0])
    assert set(signs) == {1.0, -1.0}  # both signs occur over the rounds (seeded)
    fixed = SubstituteAttack(FrozenEstimator(_oracle(X, y)), substitute=LogisticRegression(),
                             n_rounds=3, n_initial=5, lmbda=lmbda, random_sign=False,
                             random_state=3)
    fixed.fit(X)
    queried = fixed.estimator_.estimator.queries
    sub = LogisticRegression().fit(queried[0], oracle._model.predict(queried[0]))
    step = queried[1][5:] - queried[0]
    labels_pm = np.where(oracle._model.predict(queried[0]) == 1, 1.0, -1.0)
    np.testing.assert_allclose(step, lmbda * labels_pm[:, None] * np.sign(sub.coef_[0]))


@pytest.mark.parametrize("n_rows", [100, 4])  # 4: fewer rows than n_initial
def test_substitute_keep_seeds_keeps_the_seed_points_in_the_capped_set(n_rows):
    X, y = separable(n=100, seed=2)
    rows = np.r_[np.flatnonzero(y == 0)[:n_rows // 2], np.flatnonzero(y == 1)[:n_rows // 2]]
    X, y = X[rows], y[rows]
    params = dict(substitute=LogisticRegression(), n_rounds=6, n_initial=5, max_set_size=20,
                  random_state=3)
    dropped = SubstituteAttack(FrozenEstimator(_oracle(X, y)), **params).fit(X)
    kept = SubstituteAttack(FrozenEstimator(_oracle(X, y)), keep_seeds=True, **params).fit(X)
    sets, sets_dropped = kept.estimator_.estimator.queries, dropped.estimator_.estimator.queries
    n_seeds = min(5, n_rows)
    assert [len(s) for s in sets] == [len(s) for s in sets_dropped]
    assert len(sets[-1]) == len(sets[-2])  # the cap was reached
    for before, after in zip(sets, sets[1:]):
        np.testing.assert_array_equal(after[:n_seeds], sets[0])
        if len(after) == len(before):  # replaced: the rest is the rest's augmented copy
            step = np.abs(after[n_seeds:] - before[n_seeds:])
            np.testing.assert_allclose(step[step > 0], 0.1)
    # the same run up to the first replacement, which drops the seeds without the option
    first_replaced = next(i for i in range(1, len(sets)) if len(sets[i]) == len(sets[i - 1]))
    for i in range(first_replaced):
        np.testing.assert_array_equal(sets[i], sets_dropped[i])
    assert not np.array_equal(sets_dropped[first_replaced][:n_seeds], sets[0])


def test_substitute_uniform_augmentation_shifts_every_feature_away_from_its_side():
    X, y = separable(n=60, seed=2)
    lmbda = 0.05
    attack = SubstituteAttack(FrozenEstimator(_oracle(X, y)), substitute=LogisticRegression(),
                              n_rounds=2, n_initial=8, lmbda=lmbda, random_sign=False,
                              augmentation="uniform", random_state=1).fit(X)
    first, second = attack.estimator_.estimator.queries[:2]
    np.testing.assert_array_equal(second[:8], first)
    sub = LogisticRegression().fit(first, _oracle(X, y)._model.predict(first))
    side = sub.classes_.searchsorted(sub.predict(first))
    np.testing.assert_allclose(second[8:] - first,
                               -lmbda * (2.0 * side - 1.0)[:, None] * np.ones(X.shape[1]))
    three = np.arange(len(X)) % 3
    with pytest.raises(ValueError, match="binary"):
        SubstituteAttack(FrozenEstimator(DecisionTreeClassifier().fit(X, three)), n_rounds=2,
                         n_initial=30, augmentation="uniform", random_state=0).fit(X)


def test_substitute_history_with_an_evaluation_set():
    X, y = separable(n=200, seed=4)
    target = LogisticRegression(C=100.0).fit(X, y)
    attack = SubstituteAttack(FrozenEstimator(target), substitute=LogisticRegression(C=100.0),
                              eps=0.2, n_rounds=4, n_initial=20, random_state=0)
    attack.fit(X[:50], eval_set=(X[50:], y[50:]))
    assert len(attack.history_) == 4
    for record in attack.history_:
        for key in ("substitute_agreement", "target_accuracy", "target_accuracy_adv",
                    "substitute_accuracy", "match_clean", "match_adv"):
            assert 0.0 <= record[key] <= 1.0
        assert record["target_accuracy"] == target.score(X[50:], y[50:])
    last = attack.history_[-1]
    X_adv = attack.generate(X[50:], y[50:])
    assert last["target_accuracy_adv"] == target.score(X_adv, y[50:])
    assert last["target_accuracy_adv"] < 0.5 < last["target_accuracy"]
    agree = attack.substitute_.predict(X[50:]) == target.predict(X[50:])
    assert last["match_clean"] == np.mean(agree)
    assert pd.DataFrame(attack.history_).shape == (4, 10)


@pytest.mark.filterwarnings("ignore:Got `batch_size`")  # 128 > the tiny sets here
def test_default_substitute_is_the_papers_warm_started_mlp():
    X, y = separable(n=60, seed=5)
    attack = SubstituteAttack(FrozenEstimator(LogisticRegression().fit(X, y)), n_rounds=3,
                              n_initial=10, random_state=0).fit(X)
    sub = attack.substitute_
    params = sub.get_params()
    assert params["hidden_layer_sizes"] == (200, 200)
    assert (params["activation"], params["solver"], params["batch_size"]) == ("relu", "adam", 128)
    assert (params["max_iter"], params["warm_start"]) == (20, True)
    assert params["learning_rate_init"] == 1e-3
    assert params["random_state"] is not None  # drawn from the attack's random_state
    # warm start: one network trained 20 epochs per round on 10, 20 and 40 points
    assert sub.t_ == 20 * (10 + 20 + 40)


def test_scd01_substitute_gives_the_linear_step_of_its_vote():
    X, y = separable(n=120, seed=6)
    target = LogisticRegression().fit(X, y)
    attack = SubstituteAttack(FrozenEstimator(target),
                              substitute=SCD01Classifier(n_estimators=1, max_iter=50),
                              eps=0.0625, n_rounds=2, n_initial=40, random_state=0).fit(X)
    w = attack.substitute_.coef_[0, 0]
    y_pm = np.where(y == 1, 1.0, -1.0)
    np.testing.assert_allclose(attack.generate(X, y),
                               np.clip(X - 0.0625 * y_pm[:, None] * np.sign(w), 0, 1))


class _OneSidedLater(ClassifierMixin, BaseEstimator):
    """Labels its first query by a hyperplane and every later one with class 0: a
    target whose answers collapse onto one class once the attack augments."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_calls_ = 0
        return self

    def predict(self, X):
        self.n_calls_ += 1
        if self.n_calls_ == 1:
            return (X[:, 0] > np.median(X[:, 0])).astype(int)
        return np.zeros(len(X), dtype=int)


def test_substitute_stops_when_the_target_answers_one_class():
    X, y = separable()
    target = _OneSidedLater().fit(X, y)
    attack = SubstituteAttack(FrozenEstimator(target), substitute=LogisticRegression(),
                              n_rounds=5, n_initial=40, random_state=0)
    with pytest.warns(UserWarning, match="single class .* round 2; .* stops after round 1"):
        attack.fit(X)
    assert attack.n_rounds_ == len(attack.history_) == 1
    assert attack.n_queries_ == 40 + 80  # the collapsed round was queried
    assert attack.generate(X, y).shape == X.shape  # the round-1 substitute attacks
    full = SubstituteAttack(FrozenEstimator(LogisticRegression().fit(X, y)), n_rounds=3,
                            n_initial=40, random_state=0).fit(X)
    assert full.n_rounds_ == 3


def test_substitute_errors():
    X, y = separable()
    target = FrozenEstimator(LogisticRegression().fit(X, y))
    with pytest.raises(TypeError, match="substitute"):
        SubstituteAttack(target, substitute=DecisionTreeClassifier(), n_rounds=1).fit(X)
    constant = FrozenEstimator(DecisionTreeClassifier().fit(X, np.zeros(len(X))))
    with pytest.raises(ValueError, match="single class"):
        SubstituteAttack(constant, n_rounds=1).fit(X)
    with pytest.raises(ValueError, match="eval_set"):
        SubstituteAttack(target, n_rounds=1, substitute=LogisticRegression()).fit(
            X, eval_set=X)
    with pytest.raises(ValueError, match="labels"):
        SubstituteAttack(target, n_rounds=1, substitute=LogisticRegression()).fit(
            X, eval_set=(X, y[:-1]))
    with pytest.raises(ValueError, match="n_rounds"):
        SubstituteAttack(target, n_rounds=0).fit(X)
    with pytest.raises(ValueError, match="max_set_size=10 is smaller than the 20 seed"):
        SubstituteAttack(target, n_rounds=1, n_initial=20, max_set_size=10).fit(X)


# --- Input domain and finite outputs (every attack) -------------------------------


def _digits():
    from sklearn.datasets import load_digits
    return load_digits(return_X_y=True)


def test_digits_pixels_outside_clip_are_rejected_not_clipped():
    # the reported case: 0..16 pixels with the default clip came back clipped to [0, 1],
    # 15 away from the input with eps=0.1
    X, y = _digits()
    X, y = X[:300], y[:300]
    message = (r"X has values in \[0, 16\] outside clip=\(0\.0, 1\.0\); .* Scale X into "
               r"clip \(e\.g\. with MinMaxScaler\) or pass clip=None or clip=\(0, 16\)\.")
    for pixels in (X, X.astype(np.uint8)):
        with pytest.raises(ValueError, match=message):
            LinearSignAttack(LinearSVC(), eps=0.1).fit(pixels, y)
    fitted = LinearSignAttack(LinearSVC(), eps=0.1).fit(X / 16, y)
    for pixels in (X, X.astype(np.uint8)):
        with pytest.raises(ValueError, match=message):
            fitted.generate(pixels, y)
        with pytest.raises(ValueError, match=message):
            fitted.transform(pixels)
    # either fix keeps the promise ||x' - x||_inf = eps
    scaled = fitted.generate(X / 16, y)
    assert np.abs(scaled - X / 16).max() == pytest.approx(0.1, rel=1e-12)
    for pixels in (X, X.astype(np.uint8)):
        wide = LinearSignAttack(LinearSVC(), eps=0.1, clip=(0, 16)).fit(pixels, y)
        X_adv = wide.generate(pixels, y)
        assert X_adv.dtype == np.float64
        assert np.abs(X_adv - X).max() == pytest.approx(0.1, rel=1e-12)
        assert X_adv.min() >= 0 and X_adv.max() <= 16


# attacks that do not step by exactly eps (decision-based, random starts): their own test
# files cover a huge eps
@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n].get("sign_steps", True)))
def test_huge_eps_on_float32_overflows_with_a_clear_error_or_ends_on_clip(name, data):
    X, y = data
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clipped = CASES[name]["make"](eps=1e300).fit(X32, y)
        X_adv = clipped.generate(X32, y)
        # each moved feature ends on a bound of clip: finite, float32
        assert X_adv.dtype == np.float32 and np.all(np.isfinite(X_adv))
        moved = X_adv != X32
        assert moved.any() and np.all(np.isin(X_adv[moved], [0.0, 1.0]))
        unclipped = CASES[name]["make"](eps=1e300, clip=None).fit(X32, y)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no overflow warning either
            with pytest.raises(ValueError, match=r"overflows float32 \(finite up to 3\.4e\+38\)"
                               r".*smaller eps.*float64 X"):
                unclipped.generate(X32, y)
        # float64 holds x + 1e300 (exactly 1e300 in magnitude)
        X_adv = CASES[name]["make"](eps=1e300, clip=None).fit(X, y).generate(X, y)
        assert np.all(np.isin(np.abs(X_adv[X_adv != X]), [1e300]))


def test_eps_beyond_float64_with_clip_none_raises():
    X, y = separable()
    attack = LinearSignAttack(LogisticRegression(), eps=1e308, clip=None).fit(X, y)
    near_max = np.where(X > 0.5, 1.7e308, -1.7e308)  # within float64, so accepted...
    with pytest.raises(ValueError, match="overflows float64.*smaller eps"):
        attack.generate(near_max, y)  # ...but some x +- 1e308 is not
    with pytest.raises(ValueError, match="'eps' parameter.*range \\[0.0, inf\\)"):
        LinearSignAttack(LogisticRegression(), eps=np.inf, clip=(0, 1)).fit(X, y)


def test_fgsm_at_overflowing_inputs_linear_limit_or_a_clear_error():
    # the reported case: |x| near 1e308 overflowed the logits and FGSM returned NaN
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    model = LogisticRegression(max_iter=500).fit(X, y)
    huge = X.copy()
    huge[:, 0] = 1e308  # logits overflow; the other features keep moderate values
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        X_adv = FGSMAttack(FrozenEstimator(model), eps=0.1, clip=None).fit(X).generate(huge, y)
    # the softmax's limit: all weight on the best other class j (largest w_j[0])
    W = model.coef_
    others = np.where(np.arange(3)[None, :] == y[:, None], -np.inf, W[:, 0][None, :])
    best = np.argmax(others, axis=1)
    expected = huge + 0.1 * np.sign(W[best] - W[y])
    np.testing.assert_array_equal(X_adv, expected)
    assert np.all(np.isfinite(X_adv))
    # where the logits do not overflow, the scaled rows change nothing
    np.testing.assert_array_equal(
        FGSMAttack(FrozenEstimator(model), eps=0.1, clip=None).fit(X).generate(X, y),
        X + 0.1 * np.sign(loss_gradient(model, X, y, scaled=True)))
    # a network's arithmetic does not scale: a clear error instead of NaN
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mlp = MLPClassifier((5,), max_iter=50, random_state=0).fit(X, y)
    huge[:, :] = 1e308
    with pytest.raises(ValueError, match=r"FGSMAttack: the input gradient of the model is not "
                       r"finite at 150 rows .*Scale X"):
        FGSMAttack(FrozenEstimator(mlp), eps=0.1, clip=None).fit(X).generate(huge, y)


def test_unscaled_loss_gradient_at_overflowing_logits_is_the_limit():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)
    model = LogisticRegression(max_iter=500).fit(X, y)
    huge = np.full((3, 4), 1e308)
    # all rows the same: the predicted class p gets probability 1 in the limit, so
    # the plain gradient is (p - onehot_y) @ W: zero for y = p, else W_p - W_y
    p = np.argmax(W0 := model.coef_.sum(axis=1))
    gradient = loss_gradient(model, huge, np.arange(3))
    expected = model.coef_[p][None, :] - model.coef_
    np.testing.assert_allclose(gradient, expected, atol=1e-12)
    assert np.all(np.isfinite(W0))


def test_labels_of_any_type_get_a_clear_error():
    X, y = separable()
    attack = LinearSignAttack(LogisticRegression()).fit(X, y)
    for labels, shown in [(np.array([None] * len(y), dtype=object), r"\[None\]"),
                          (np.array(["a", "b"] * (len(y) // 2)), r"\['a', 'b'\]"),
                          (np.full(len(y), np.nan), r"\[nan\]")]:
        with pytest.raises(ValueError, match=f"labels the model does not know: {shown}"):
            attack.generate(X, labels)
    # object labels that match (ints stored as objects) are the same labels
    np.testing.assert_array_equal(attack.generate(X, y.astype(object)), attack.generate(X, y))
    substitute = SubstituteAttack(FrozenEstimator(attack.estimator_),
                                  substitute=LogisticRegression(), n_rounds=1,
                                  n_initial=20, random_state=0).fit(X)
    with pytest.raises(ValueError, match="y has labels of dtype <U1.*labels the target returned"):
        substitute.generate(X, np.array(["a", "b"] * (len(y) // 2)))


def test_substitute_checks_its_eval_set_and_augmentation_steps():
    X, y = separable()
    target = FrozenEstimator(LogisticRegression().fit(X, y))
    params = dict(substitute=LogisticRegression(), n_rounds=2, n_initial=20, random_state=0)
    with pytest.raises(ValueError, match=r"X_eval has values in \[20\.28.*\] outside "
                       r"clip=\(0\.0, 1\.0\).*clip=\(0, 80\)"):
        SubstituteAttack(target, **params).fit(X, eval_set=(X * 100, y))
    with pytest.raises(ValueError, match=r"X has values in \[3\.2.*\] outside clip"):
        SubstituteAttack(target, **params).fit(X * 16)
    with pytest.raises(ValueError, match="x \\+ lmbda \\* sign.*overflows float32.*smaller lmbda, "
                       "clip_augmented=True"):
        SubstituteAttack(target, lmbda=1e300, **params).fit(X.astype(np.float32))
    # clipped augmentation keeps such steps in the domain
    clipped = SubstituteAttack(target, lmbda=1e300, clip_augmented=True, **params).fit(
        X.astype(np.float32))
    assert clipped.n_rounds_ == 2


def test_votes_are_checked_again_after_set_params():
    # found by fuzzing: vote changed after fit gave an IndexError, bools were masks
    rng = np.random.RandomState(0)
    X = rng.rand(80, 5)
    y = (X[:, 0] > .5).astype(int)
    scd = SCD01Classifier(n_estimators=3, max_iter=10, random_state=0).fit(X, y)
    mlp = MLP01Classifier(n_hidden=3, n_estimators=2, max_iter=10, random_state=0).fit(X, y)
    for Attack, model in ((LinearSignAttack, scd), (MLP01Attack, mlp),
                          (SmoothedPGDAttack, scd)):
        attack = Attack(FrozenEstimator(model), votes=[0], random_state=0).fit(X)
        before = attack.transform(X)
        attack.set_params(votes=[7])
        with pytest.raises(ValueError, match="votes=.*range"):
            attack.transform(X)
        with pytest.raises(ValueError, match="votes=.*range"):
            attack.generate(X, y)
        attack.set_params(votes=7)
        with pytest.raises(ValueError, match="votes=7.*count in"):
            attack.transform(X)
        for votes in (True, False, 0.5, [0.5], [True]):
            attack.set_params(votes=votes)
            with pytest.raises(TypeError, match="votes"):
                attack.transform(X)
        for votes in (True, 0.5, "0"):
            with pytest.raises((TypeError, ValueError), match="votes"):
                Attack(FrozenEstimator(model), votes=votes).fit(X)
        attack.set_params(votes=[0])  # back: the same adversaries as after fit
        np.testing.assert_array_equal(attack.transform(X), before)


def test_float32_adversaries_stay_inside_clip():
    # found by fuzzing: float32(0.3) is above 0.3, so clipping to it left outputs
    # outside clip=(0, 0.3)
    rng = np.random.RandomState(0)
    X = (rng.rand(80, 5) * 0.3).astype(np.float32)
    y = (X[:, 0] > .15).astype(int)
    out = LinearSignAttack(LinearSVC(), eps=0.2, clip=(0.0, 0.3)).fit(X, y).transform(X)
    assert out.dtype == np.float32
    assert out.astype(np.float64).max() <= 0.3
    assert out.max() == np.nextafter(np.float32(0.3), np.float32(0))


def test_eval_set_labels_must_be_the_targets():
    # found by fuzzing: labels of another kind, or unknown ones, gave accuracies of 0
    rng = np.random.RandomState(0)
    X = rng.rand(120, 5)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    attack = SubstituteAttack(LinearSVC(), substitute=LogisticRegression(), n_rounds=1,
                              n_initial=20, random_state=0)
    for wrong in (y.astype(str), y + 7):
        with pytest.raises(ValueError, match="target"):
            attack.fit(X, y, eval_set=(X, wrong))
    history = attack.fit(X, y, eval_set=(X, y)).history_[0]
    assert history["target_accuracy"] > 0.5


@pytest.mark.parametrize("make", [
    lambda: LinearSignAttack(LinearSVC(), eps=True),
    lambda: SubstituteAttack(LinearSVC(), n_rounds=True),
    lambda: SubstituteAttack(LinearSVC(), n_initial=True),
    lambda: SubstituteAttack(LinearSVC(), max_set_size=True),
    lambda: SubstituteAttack(LinearSVC(), lmbda=True),
])
def test_booleans_are_not_numbers_for_attacks(make):
    X, y = separable()
    with pytest.raises(TypeError, match="not a bool"):
        make().fit(X, y)
