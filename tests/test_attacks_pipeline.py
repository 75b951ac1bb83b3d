"""White-box attacks through pipelines, the votes rule of the ensemble attacks, the
SubstituteAttack callback and the public helpers of the attacks layer.

Gradients folded through affine steps are checked against central finite
differences of the pipeline's own outputs (its fitted steps, then the model) and
against formulas written out by hand; attacks on a pipeline against attacks on a
model built by hand that absorbs the steps into its weights; a vote selection
against the attack on ``select_votes`` of the model.
"""

import copy
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    PolynomialFeatures,
    StandardScaler,
)
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sk01loss import MLP01Classifier, SCD01Classifier, Saturate, transfer_matrix
from sk01loss._transfer import auto_attack
from sk01loss.attacks import (
    FGSMAttack,
    LinearSignAttack,
    MLP01Attack,
    SmoothedPGDAttack,
    SubstituteAttack,
    default_substitute,
    input_gradient,
    mlp_forward,
)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = X / X.max(axis=0)  # in (0, 1]
    return X, y


def _fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence
        return model.fit(X, y)


# every affine step the attacks fold, alone, in pairs, nested and with passthrough
AFFINE_PREFIXES = {
    "standard": lambda: [StandardScaler()],
    "standard-no-mean": lambda: [StandardScaler(with_mean=False)],
    "minmax": lambda: [MinMaxScaler(feature_range=(-2, 3))],
    "maxabs": lambda: [MaxAbsScaler()],
    "pca": lambda: [PCA(n_components=3)],
    "pca-whiten": lambda: [PCA(whiten=True)],
    "saturate-2": lambda: [Saturate(p=2)],
    "identity-function": lambda: [FunctionTransformer()],
    "two-scalers": lambda: [MinMaxScaler(), StandardScaler()],
    "scaler-pca-scaler": lambda: [StandardScaler(), PCA(n_components=3), MaxAbsScaler()],
    "nested": lambda: [make_pipeline(MinMaxScaler(), "passthrough", StandardScaler())],
    "passthrough": lambda: ["passthrough", StandardScaler()],
}


def _pipeline(prefix, model):
    steps = [(f"s{i}", step) for i, step in enumerate(AFFINE_PREFIXES[prefix]())]
    return Pipeline(steps + [("model", model)])


def _loss(pipe, X, y):
    """Cross-entropy of every row from the pipeline's own probabilities."""
    log_proba = pipe.predict_log_proba(X)
    return -log_proba[np.arange(len(X)), np.searchsorted(pipe.classes_, y)]


def _finite_difference(f, X, h=1e-6):
    G = np.empty_like(X)
    h = np.broadcast_to(h, X.shape[1:])
    for j in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, j] = h[j]
        G[:, j] = (f(X + step) - f(X - step)) / (2 * h[j])
    return G


@pytest.mark.filterwarnings("ignore:X has values")  # Saturate: steps of h beyond 1
@pytest.mark.parametrize("prefix", list(AFFINE_PREFIXES))
@pytest.mark.parametrize("model", [
    LogisticRegression(C=10.0),
    MLPClassifier((6,), activation="tanh", max_iter=300, random_state=0),
], ids=["logreg", "mlp"])
@pytest.mark.parametrize("binary", [False, True])
def test_folded_gradient_is_the_finite_difference_of_the_pipeline(iris, prefix, model, binary):
    X, y = iris
    y = (y == 2).astype(int) if binary else y
    pipe = _fit(_pipeline(prefix, clone(model)), X, y)
    rows = np.random.RandomState(0).choice(len(X), 15, replace=False)
    gradient = input_gradient(pipe, X[rows], y[rows])
    expected = _finite_difference(lambda Z: _loss(pipe, Z, y[rows]), X[rows])
    np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-6)
    # a frozen pipeline is the same pipeline
    np.testing.assert_array_equal(input_gradient(FrozenEstimator(pipe), X[rows], y[rows]),
                                  gradient)


def test_folded_gradient_is_the_hand_written_chain_rule(iris):
    X, y = iris
    y = (y == 2).astype(int)
    pipe = _fit(make_pipeline(StandardScaler(), MinMaxScaler(), LogisticRegression()), X, y)
    standard, minmax, logreg = pipe[0], pipe[1], pipe[2]
    # x -> (x - m) / s -> a * . + b -> z = w . + c; loss gradient (p - y) * w * a / s
    w = logreg.coef_[0]
    z = ((X - standard.mean_) / standard.scale_ * minmax.scale_ + minmax.min_) @ w \
        + logreg.intercept_[0]
    by_hand = (expit(z) - y)[:, None] * (w * minmax.scale_ / standard.scale_)[None, :]
    np.testing.assert_allclose(input_gradient(pipe, X, y), by_hand, rtol=1e-10, atol=1e-14)
    # PCA: the gradient of the logit through components_ / sqrt(explained_variance_)
    pca_pipe = _fit(make_pipeline(PCA(n_components=2, whiten=True), LogisticRegression()),
                    X, y)
    pca, lr = pca_pipe[0], pca_pipe[1]
    direction = (pca.components_.T / np.sqrt(pca.explained_variance_)) @ lr.coef_[0]
    p = pca_pipe.predict_proba(X)[:, 1]
    np.testing.assert_allclose(input_gradient(pca_pipe, X, y),
                               (p - y)[:, None] * direction[None, :], rtol=1e-8, atol=1e-12)


def _absorbed_linear_svc(pipe):
    """A LinearSVC whose coef_ and intercept_ absorb the pipeline's StandardScaler."""
    scaler, svc = pipe[0], pipe[-1]
    model = copy.deepcopy(svc)
    model.coef_ = svc.coef_ / scaler.scale_
    model.intercept_ = svc.intercept_ - (svc.coef_ * scaler.mean_ / scaler.scale_).sum(axis=1)
    model.n_features_in_ = scaler.n_features_in_
    return model


@pytest.mark.parametrize("binary", [True, False])
def test_linear_sign_on_a_pipeline_is_the_attack_on_the_absorbed_model(iris, binary):
    X, y = iris
    X = 10 * X  # not in [0, 1]: the scaler is needed, and eps and clip are input-space
    y = (y == 2).astype(int) if binary else y
    pipe = _fit(make_pipeline(StandardScaler(), LinearSVC()), X, y)
    absorbed = _absorbed_linear_svc(pipe)
    np.testing.assert_allclose(absorbed.decision_function(X), pipe.decision_function(X),
                               atol=1e-10)
    for eps in (0.0, 0.5, 3.0):
        on_pipe = LinearSignAttack(FrozenEstimator(pipe), eps=eps, clip=(0, 10)).fit(X)
        by_hand = LinearSignAttack(FrozenEstimator(absorbed), eps=eps, clip=(0, 10)).fit(X)
        X_adv = on_pipe.generate(X, y)
        np.testing.assert_array_equal(X_adv, by_hand.generate(X, y))
        # input space: within eps of X (L-inf) and inside clip
        assert np.abs(X_adv - X).max() <= eps + 1e-12 * 10  # up to float64 rounding
        assert X_adv.min() >= 0 and X_adv.max() <= 10
        if eps == 0.5:  # every weighted feature moved by eps where clip allowed
            assert np.any(np.abs(X_adv - X) == eps)
    # a clone fitted by the attack: the same pipeline, the same step
    fitted = LinearSignAttack(make_pipeline(StandardScaler(), LinearSVC()), eps=0.5,
                              clip=(0, 10)).fit(X, y)
    np.testing.assert_allclose(fitted.generate(X, y),
                               LinearSignAttack(FrozenEstimator(pipe), eps=0.5,
                                                clip=(0, 10)).fit(X).generate(X, y))


def test_fgsm_through_a_pipeline_steps_along_the_folded_gradient(iris):
    X, y = iris
    X = 5 * X
    pipe = _fit(make_pipeline(MinMaxScaler(), MLPClassifier((8,), max_iter=300,
                                                              random_state=0)), X, y)
    attack = FGSMAttack(FrozenEstimator(pipe), eps=0.2, clip=None).fit(X)
    X_adv = attack.generate(X, y)
    np.testing.assert_allclose(X_adv, X + 0.2 * np.sign(input_gradient(pipe, X, y)))
    assert np.abs(X_adv - X).max() <= 0.2 + 1e-12
    assert np.all(_loss(pipe, X_adv, y) >= _loss(pipe, X, y) - 1e-9)
    assert pipe.score(X_adv, y) < pipe.score(X, y)


def _absorbed_mlp01(pipe):
    """An MLP01Classifier whose hidden layer absorbs the pipeline's MinMaxScaler."""
    scaler, model = pipe[0], pipe[-1]
    absorbed = copy.deepcopy(model)
    a, b = scaler.scale_, scaler.min_
    absorbed.hidden_coef_ = model.hidden_coef_ * a[None, None, :, None]
    absorbed.hidden_intercept_ = model.hidden_intercept_ + np.einsum(
        "d,pvdh->pvh", b, model.hidden_coef_)
    return absorbed


def test_mlp01_attack_on_a_pipeline_is_the_attack_on_the_absorbed_model(iris):
    X, y = iris
    X = 3 * X
    pipe = _fit(make_pipeline(MinMaxScaler(), MLP01Classifier(
        n_hidden=5, n_estimators=3, max_iter=60, random_state=0)), X, y)
    absorbed = _absorbed_mlp01(pipe)
    np.testing.assert_array_equal(absorbed.predict(X), pipe.predict(X))
    for votes in (None, [1]):
        on_pipe = MLP01Attack(FrozenEstimator(pipe), votes=votes, eps=0.3, clip=(0, 3),
                              random_state=0).fit(X)
        by_hand = MLP01Attack(FrozenEstimator(absorbed), votes=votes, eps=0.3, clip=(0, 3),
                              random_state=0).fit(X)
        X_adv = on_pipe.generate(X, y)
        np.testing.assert_array_equal(X_adv, by_hand.generate(X, y))
        np.testing.assert_array_equal(on_pipe.transform(X), by_hand.transform(X))
        assert np.abs(X_adv - X).max() <= 0.3 + 1e-12


def test_smoothed_pgd_and_auto_attack_through_pipelines(iris):
    X, y = iris
    X = 2 * X
    pipe = _fit(make_pipeline(StandardScaler(), SCD01Classifier(
        n_estimators=4, max_iter=40, random_state=0)), X, y)
    attack = SmoothedPGDAttack(FrozenEstimator(pipe), eps=0.4, clip=(0, 2), n_steps=10,
                               random_state=0).fit(X)
    X_adv = attack.generate(X, y)
    assert np.abs(X_adv - X).max() <= 0.4 + 1e-12
    assert X_adv.min() >= 0 and X_adv.max() <= 2
    assert pipe.score(X_adv, y) < pipe.score(X, y)
    # transfer_matrix(attack="auto") on pipelines: each source's attack in input space
    svc = _fit(make_pipeline(StandardScaler(), LinearSVC()), X, y)
    mlp01 = _fit(make_pipeline(MaxAbsScaler(), MLP01Classifier(
        n_hidden=4, n_estimators=2, max_iter=40, random_state=0)), X, y)
    models = {"svc": svc, "mlp01": mlp01}
    assert type(auto_attack(svc)).__name__ == "LinearSignAttack"
    assert type(auto_attack(mlp01)).__name__ == "MLP01Attack"
    table = transfer_matrix(models, models, X, y, eps=0.3, clip=(0, 2), as_frame=False,
                            random_state=0)
    explicit = LinearSignAttack(FrozenEstimator(svc), eps=0.3, clip=(0, 2)).fit(X)
    assert table["svc"]["svc"] == svc.score(explicit.generate(X, y), y) < table["clean"]["svc"]


NOT_AFFINE = [
    ("poly", PolynomialFeatures(), "PolynomialFeatures"),
    ("square", FunctionTransformer(np.square), "FunctionTransformer"),
    ("saturate", Saturate(p=4), "Saturate"),
    ("clipped", MinMaxScaler(clip=True), "clip=True"),
    ("norm", Normalizer(), "Normalizer"),
]


@pytest.mark.parametrize("name, step, says", NOT_AFFINE)
def test_a_step_that_is_not_affine_is_named_in_a_type_error(iris, name, step, says):
    X, y = iris
    for make in (lambda: LinearSignAttack(Pipeline([(name, clone(step)),
                                                    ("m", LogisticRegression())])),
                 lambda: FGSMAttack(Pipeline([(name, clone(step)),
                                              ("m", LogisticRegression())])),
                 lambda: MLP01Attack(Pipeline([("ok", StandardScaler()), (name, clone(step)),
                                               ("m", MLP01Classifier(n_hidden=2))])),
                 lambda: SmoothedPGDAttack(Pipeline([(name, clone(step)),
                                                     ("m", SCD01Classifier())]))):
        with pytest.raises(TypeError, match=f"'{name}'.*{says}|{says}.*'{name}'"):
            make().fit(X, y)  # raised before anything is fitted
    fitted = _fit(Pipeline([(name, clone(step)), ("m", LogisticRegression())]), X, y)
    with pytest.raises(TypeError, match=f"'{name}'"):
        LinearSignAttack(FrozenEstimator(fitted)).fit(X)
    with pytest.raises(TypeError, match=f"'{name}'"):
        input_gradient(fitted, X, y)
    with pytest.raises(TypeError, match=f"'{name}'"):
        transfer_matrix({"p": fitted}, {"p": fitted}, X, y)
    nested = _fit(make_pipeline(make_pipeline(StandardScaler(), clone(step)),
                                LogisticRegression()), X, y)
    with pytest.raises(TypeError, match=type(step).__name__):
        FGSMAttack(FrozenEstimator(nested)).fit(X)


def test_pipelines_the_attacks_still_refuse(iris):
    X, y = iris
    with pytest.raises(TypeError, match="DecisionTreeClassifier"):
        FGSMAttack(make_pipeline(StandardScaler(), DecisionTreeClassifier())).fit(X, y)
    with pytest.raises(TypeError, match="use MLP01Attack"):
        LinearSignAttack(make_pipeline(StandardScaler(), MLP01Classifier())).fit(X, y)
    with pytest.raises(TypeError, match="use FGSMAttack"):
        LinearSignAttack(make_pipeline(StandardScaler(), MLPClassifier())).fit(X, y)
    with pytest.raises(TypeError, match="SCD01Classifier has none"):
        FGSMAttack(make_pipeline(StandardScaler(), SCD01Classifier())).fit(X, y)
    with pytest.raises(TypeError, match="MLP01Attack attacks MLP01Classifier"):
        MLP01Attack(make_pipeline(StandardScaler(), LogisticRegression())).fit(X, y)


def test_sparse_coef_is_the_dense_model(iris):
    X, y = iris
    dense = LinearSVC().fit(X, y)
    sparse = copy.deepcopy(dense).sparsify()
    assert hasattr(sparse.coef_, "toarray")
    for Attack in (LinearSignAttack, FGSMAttack):
        np.testing.assert_array_equal(
            Attack(FrozenEstimator(sparse), eps=0.1).fit(X).generate(X, y),
            Attack(FrozenEstimator(dense), eps=0.1).fit(X).generate(X, y))


def test_passthrough_only_pipeline_has_nothing_to_attack(iris):
    X, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("last", "passthrough")]).fit(X)
    with pytest.raises(TypeError, match="no final estimator"):
        input_gradient(pipe, X, y)


# --- one rule for ensembles ---------------------------------------------------------

ENSEMBLE_ATTACKS = {
    "LinearSignAttack": (lambda model, **kw: LinearSignAttack(model, eps=0.1, **kw),
                         lambda: SCD01Classifier(n_estimators=5, max_iter=40, random_state=0)),
    "MLP01Attack": (lambda model, **kw: MLP01Attack(model, eps=0.1, random_state=0, **kw),
                    lambda: MLP01Classifier(n_hidden=4, n_estimators=5, max_iter=40,
                                            random_state=0)),
    "SmoothedPGDAttack-SCD01": (
        lambda model, **kw: SmoothedPGDAttack(model, eps=0.1, n_steps=5, random_state=0, **kw),
        lambda: SCD01Classifier(n_estimators=5, max_iter=40, random_state=0)),
    "SmoothedPGDAttack-MLP01": (
        lambda model, **kw: SmoothedPGDAttack(model, eps=0.1, n_steps=5, random_state=0, **kw),
        lambda: MLP01Classifier(n_hidden=4, n_estimators=5, max_iter=40, random_state=0)),
}


@pytest.fixture(scope="module")
def ensembles(iris):
    X, y = iris
    return {name: _fit(make(), X, y) for name, (_, make) in ENSEMBLE_ATTACKS.items()}


def _assert_same_attack(a, b, X, y):
    np.testing.assert_array_equal(a.generate(X, y), b.generate(X, y))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


@pytest.mark.parametrize("name", list(ENSEMBLE_ATTACKS))
def test_default_attacks_the_whole_ensemble(iris, ensembles, name):
    X, y = iris
    make, _ = ENSEMBLE_ATTACKS[name]
    model = ensembles[name]
    default = make(FrozenEstimator(model)).fit(X)
    assert default.votes is None
    _assert_same_attack(default, make(FrozenEstimator(model), votes=5).fit(X), X, y)
    _assert_same_attack(default, make(FrozenEstimator(model), votes=range(5)).fit(X), X, y)


@pytest.mark.parametrize("name", list(ENSEMBLE_ATTACKS))
@pytest.mark.parametrize("votes", [1, 3, [0], [4], [3, 1], np.array([2, 0, 4])])
def test_votes_attack_the_selected_votes_as_a_model_of_their_own(iris, ensembles, name, votes):
    X, y = iris
    make, _ = ENSEMBLE_ATTACKS[name]
    model = ensembles[name]
    selected = make(FrozenEstimator(model), votes=votes).fit(X)
    alone = make(FrozenEstimator(model.select_votes(votes))).fit(X)
    _assert_same_attack(selected, alone, X, y)
    # a pipeline ending in the ensemble selects the same way
    pipe = make_pipeline(FunctionTransformer(), FrozenEstimator(model)).fit(X, y)
    through = make(FrozenEstimator(pipe), votes=votes).fit(X)
    _assert_same_attack(through, alone, X, y)
    assert len(model.coef_[0]) == 5  # the model was not changed


@pytest.mark.parametrize("name", list(ENSEMBLE_ATTACKS))
def test_bad_vote_selections_are_clear_errors(iris, ensembles, name):
    X, y = iris
    make, _ = ENSEMBLE_ATTACKS[name]
    model = FrozenEstimator(ensembles[name])
    for votes, message in ((6, r"count in \[1, 5\]"), ([5], r"range\(5\)"),
                           ([-1], r"range\(5\)"), ([], "non-empty"),
                           ([1, 1], "repeats a vote")):
        with pytest.raises(ValueError, match=message):
            make(model, votes=votes).fit(X)
    for votes in ([0.5], [True, False], [[0, 1]]):
        with pytest.raises(TypeError, match="votes"):
            make(model, votes=votes).fit(X)
    for votes in (0, -2, 1.5, "all"):  # refused by the parameter's constraint
        with pytest.raises(ValueError, match="votes"):
            make(model, votes=votes).fit(X)


def test_votes_need_an_ensemble(iris):
    X, y = iris
    with pytest.raises(ValueError, match="votes=.*SCD01Classifier or MLP01Classifier"):
        LinearSignAttack(LogisticRegression(), votes=[0]).fit(X, y)
    with pytest.raises(ValueError, match="votes=.*LogisticRegression"):
        LinearSignAttack(make_pipeline(StandardScaler(), LogisticRegression()),
                         votes=1).fit(X, y)


def test_votes_do_not_change_the_model_or_the_attack_after_fit(iris, ensembles):
    X, y = iris
    model = ensembles["MLP01Attack"]
    before = {k: np.copy(v) for k, v in vars(model).items() if isinstance(v, np.ndarray)}
    attack = MLP01Attack(FrozenEstimator(model), votes=[2, 0], random_state=0).fit(X)
    state = dict(vars(attack))
    attack.transform(X)
    attack.set_params(votes=[1])
    attack.generate(X, y)
    assert vars(attack).keys() == state.keys()
    assert attack._view is state["_view"]  # transform does not touch the fitted state
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(model, k), v)


@given(data=st.data())
def test_hypothesis_vote_selections(data):
    model, X, y = _hypothesis_ensemble()
    n_votes = model._n_votes()
    votes = data.draw(st.one_of(
        st.none(), st.integers(-2, n_votes + 2),
        st.lists(st.integers(-1, n_votes), max_size=n_votes + 1),
        st.permutations(range(n_votes)).map(lambda p: np.array(p[:max(1, len(p) // 2)])),
        st.lists(st.booleans(), min_size=1, max_size=3),
        st.floats(allow_nan=True)))
    for make in (lambda **kw: LinearSignAttack(FrozenEstimator(model), eps=0.2, **kw),
                 lambda **kw: SmoothedPGDAttack(FrozenEstimator(model), eps=0.2, n_steps=2,
                                                random_state=0, **kw)):
        try:
            expected = model if votes is None else model.select_votes(votes)
        except (ValueError, TypeError):  # the estimator refuses: so do the attacks
            with pytest.raises((ValueError, TypeError), match="votes"):
                make(votes=votes).fit(X)
            continue
        attack = make(votes=votes).fit(X)
        alone = make().set_params(estimator=FrozenEstimator(expected)).fit(X)
        _assert_same_attack(attack, alone, X, y)
        X_adv = attack.generate(X, y)
        assert np.abs(X_adv - X).max() <= 0.2 + 1e-12


_HYPOTHESIS_CACHE = {}


def _hypothesis_ensemble():
    if not _HYPOTHESIS_CACHE:
        rng = np.random.RandomState(0)
        X = rng.rand(60, 3)
        y = (X[:, 0] + X[:, 1] > 1).astype(int)
        model = SCD01Classifier(n_estimators=4, max_iter=20, random_state=0).fit(X, y)
        _HYPOTHESIS_CACHE["v"] = (model, X, y)
    return _HYPOTHESIS_CACHE["v"]


@given(scale=st.lists(st.floats(0.01, 100.0), min_size=3, max_size=3),
       offset=st.lists(st.floats(-50.0, 50.0), min_size=3, max_size=3),
       kind=st.sampled_from(["standard", "minmax", "maxabs", "two"]),
       eps=st.sampled_from([0.0, 0.01, 0.5, 2.0]))
def test_hypothesis_random_affine_scalers(scale, offset, kind, eps):
    rng = np.random.RandomState(1)
    X = rng.rand(40, 3) * np.array(scale) + np.array(offset)
    y = (rng.rand(40) < expit((X - X.mean(axis=0)) @ (1.0 / np.array(scale)))).astype(int)
    if np.unique(y).size < 2:
        y[:2] = [0, 1]
    steps = {"standard": [StandardScaler()], "minmax": [MinMaxScaler((-1, 2))],
             "maxabs": [MaxAbsScaler()], "two": [MaxAbsScaler(), StandardScaler()]}[kind]
    pipe = _fit(make_pipeline(*steps, LogisticRegression()), X, y)
    clip = (float(X.min()) - 1, float(X.max()) + 1)
    X_adv = LinearSignAttack(FrozenEstimator(pipe), eps=eps, clip=clip).fit(X).generate(X, y)
    assert np.abs(X_adv - X).max() <= eps * (1 + 1e-12) + 1e-12
    assert X_adv.min() >= clip[0] and X_adv.max() <= clip[1]
    # the step follows the sign of the input-space weights: the scalers' gain is positive
    w = pipe[-1].coef_[0]
    for step in reversed(pipe[:-1]):
        w = w / step.scale_ if not isinstance(step, MinMaxScaler) else w * step.scale_
    moved = X_adv - X
    expected = np.where(y == 1, -1.0, 1.0)[:, None] * np.sign(w)[None, :]
    free = (X - eps * 2 > clip[0]) & (X + eps * 2 < clip[1])
    np.testing.assert_array_equal(np.sign(moved)[free & (eps > 0)],
                                  expected[free & (eps > 0)])
    # the folded loss gradient is the finite difference of the pipeline's loss
    rows = slice(0, 5)
    expected_gradient = _finite_difference(lambda Z: _loss(pipe, Z, y[rows]), X[rows],
                                           h=1e-5 * np.array(scale))
    np.testing.assert_allclose(input_gradient(pipe, X[rows], y[rows]), expected_gradient,
                               rtol=1e-4, atol=1e-9 / min(scale))


# --- the substitute's callback and the public helpers -------------------------------


def test_substitute_callback_sees_every_round(iris):
    X, y = iris
    target = LogisticRegression().fit(X, y)
    infos = []

    def callback(info):
        infos.append({**info, "agreement": float(np.mean(
            info["substitute"].predict(info["X_substitute"]) == info["y_substitute"])),
            # y_substitute: the target's labels of the set
            "target_labels": np.array_equal(target.predict(info["X_substitute"]),
                                            info["y_substitute"])})
        info["X_substitute"][:] = -1.0  # a copy: the attack is not affected

    params = dict(substitute=MLPClassifier((10,), max_iter=30, warm_start=True),
                  n_rounds=3, n_initial=30, eps=0.1, random_state=0)
    attack = _fit(SubstituteAttack(FrozenEstimator(target), callback=callback, **params), X,
                  None)
    plain = _fit(SubstituteAttack(FrozenEstimator(target), **params), X, None)
    assert [i["round"] for i in infos] == [1, 2, 3]
    assert [i["record"] for i in infos] == attack.history_ == plain.history_
    assert [len(i["X_substitute"]) for i in infos] == [30, 60, 120]
    assert [i["agreement"] for i in infos] == [h["substitute_agreement"]
                                               for h in attack.history_]
    assert all(i["target_labels"] for i in infos)
    assert infos[-1]["substitute"] is attack.substitute_
    np.testing.assert_array_equal(attack.generate(X, y), plain.generate(X, y))

    class Stop(Exception):
        pass

    def stop(info):
        raise Stop  # the user's own way to end fit
    with pytest.raises(Stop):
        _fit(SubstituteAttack(FrozenEstimator(target), callback=stop, **params), X, None)
    with pytest.raises(ValueError, match="callback"):
        SubstituteAttack(FrozenEstimator(target), callback="print").fit(X)


def test_a_pipeline_substitute_steps_along_its_folded_gradient(iris):
    X, y = iris
    target = LogisticRegression().fit(X, y)
    attack = _fit(SubstituteAttack(
        FrozenEstimator(target), substitute=make_pipeline(StandardScaler(), LogisticRegression()),
        eps=0.1, n_rounds=2, n_initial=60, random_state=0), X, None)
    X_adv = attack.generate(X, y)
    expected = np.clip(X + 0.1 * np.sign(input_gradient(attack.substitute_, X, y)), 0, 1)
    np.testing.assert_array_equal(X_adv, expected)


def test_public_helpers(iris):
    X, y = iris
    first, second = default_substitute(), default_substitute()
    assert first is not second and first.get_params() == second.get_params()
    net = _fit(MLPClassifier((5, 4), activation="logistic", max_iter=200, random_state=0),
               X, y)
    activations, logits = mlp_forward(net, X)
    assert [a.shape for a in activations] == [(150, 4), (150, 5), (150, 4)]
    np.testing.assert_allclose(activations[1], expit(X @ net.coefs_[0] + net.intercepts_[0]))
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(proba / proba.sum(axis=1, keepdims=True), net.predict_proba(X))
    with pytest.raises(TypeError, match="MLPClassifier"):
        mlp_forward(LogisticRegression().fit(X, y), X)
    labels = np.array(["a", "b", "c"])[y]
    model = LogisticRegression().fit(X, labels)
    np.testing.assert_allclose(input_gradient(model, X, labels),
                               input_gradient(LogisticRegression().fit(X, y), X, y))
    with pytest.raises(ValueError, match="does not know"):
        input_gradient(model, X, np.array(["a", "z"] * 75))
    with pytest.raises(ValueError, match="one label per row"):
        input_gradient(model, X, labels[:-1])
    with pytest.raises(TypeError, match="MLP01Classifier has none"):
        input_gradient(MLP01Classifier(n_hidden=2, max_iter=5).fit(X, y), X, y)
    X_copy = X.copy()
    input_gradient(model, X, labels)
    np.testing.assert_array_equal(X, X_copy)


@pytest.mark.parametrize("first", ["passthrough", None])
def test_a_pipeline_that_starts_with_passthrough_is_its_model(first):
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    from sk01loss import SCD01Classifier
    from sk01loss.attacks import LinearSignAttack

    rng = np.random.default_rng(0)
    X = rng.random((50, 3))
    y = (X[:, 0] > 0.5).astype(int)
    pipe = Pipeline([("s", first), ("m", SCD01Classifier(n_estimators=2, max_iter=10,
                                                          random_state=0))]).fit(X, y)
    through = LinearSignAttack(FrozenEstimator(pipe), eps=0.1).fit(X, y).transform(X)
    alone = LinearSignAttack(FrozenEstimator(pipe[-1]), eps=0.1).fit(X, y).transform(X)
    np.testing.assert_array_equal(through, alone)
