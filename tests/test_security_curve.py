"""security_curve: the table, the flags of Carlini et al. (2019), certificates, plots."""

import sys

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.svm import LinearSVC

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.attacks import (
    HopSkipJumpAttack,
    LinearSignAttack,
    MLP01Attack,
    SmoothedPGDAttack,
)
from sk01loss.attacks._base import BaseAttack
from sk01loss.robustness import security_curve

matplotlib.use("Agg")


class DoNothing(BaseAttack):
    """A 'white-box' attack that returns its input: what masked gradients look like."""

    def _perturb(self, X, y_index):
        return np.array(X, copy=True)


class Shrinking(BaseAttack):
    """An attack that gets weaker as eps grows (moves by 0.3 - eps towards the other
    side): a non-monotone curve."""

    def _perturb(self, X, y_index):
        model = self.estimator_
        w = model.coef_.ravel()
        sign = np.where(y_index == 1, -1.0, 1.0)[:, None] * np.sign(w)
        return X + min(self.eps, max(0.3 - self.eps, 0.0)) * sign


def data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(0.1, 0.9, (n, 2))
    return X, (X[:, 0] + 0.5 * X[:, 1] > 0.75).astype(int)


EPS = [0.0, 0.05, 0.1, 0.2]


def test_table_columns_and_values():
    X, y = data()
    svm = LinearSVC().fit(X, y)
    curve = security_curve({"svm": svm},
                           {"sign": LinearSignAttack(None),
                            "hsj": HopSkipJumpAttack(None, max_steps=20, random_state=0)},
                           X, y, EPS)
    table = curve.table
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["model", "attack", "kind", "norm", "eps", "accuracy"]
    assert len(table) == 2 * len(EPS)
    sign = table[table.attack == "sign"].set_index("eps").accuracy
    for e in EPS:
        X_adv = LinearSignAttack(svm, eps=e).fit(X, y).generate(X, y)
        assert sign[e] == pytest.approx(svm.score(X_adv, y))
    assert sign[0.0] == svm.score(X, y)
    # the linear sign step is the optimal L-inf attack on a linear model: nothing beats it
    assert not curve.gradient_masking
    assert curve.flags == [] and curve.skipped == []


def test_gradient_masking_flag():
    X, y = data()
    svm = LinearSVC().fit(X, y)
    curve = security_curve({"svm": svm},
                           {"masked": DoNothing(None),
                            "hsj": HopSkipJumpAttack(None, max_steps=20, random_state=0)},
                           X, y, EPS, kinds={"masked": "white-box"})
    assert curve.gradient_masking
    flagged = {f["eps"] for f in curve.flags if f["check"] == "gradient-masking"}
    assert flagged and 0.0 not in flagged
    flag = next(f for f in curve.flags if f["check"] == "gradient-masking")
    assert flag["attack"] == "hsj" and flag["white_box_attack"] == "masked"
    assert flag["other_accuracy"] < flag["white_box_accuracy"]
    # a tolerance larger than the gap silences it
    quiet = security_curve({"svm": svm},
                           {"masked": DoNothing(None),
                            "hsj": HopSkipJumpAttack(None, max_steps=20, random_state=0)},
                           X, y, EPS, kinds={"masked": "white-box"}, tol=1.0)
    assert not quiet.gradient_masking


def test_non_monotone_flag():
    X, y = data()
    svm = LinearSVC().fit(X, y)
    curve = security_curve({"svm": svm}, {"odd": Shrinking(None, clip=None)}, X, y,
                           [0.0, 0.1, 0.15, 0.25, 0.3], kinds={"odd": "white-box"})
    assert any(f["check"] == "non-monotone" for f in curve.flags)


def test_models_attacks_that_do_not_apply_and_certificates():
    X, y = data()
    scd = SCD01Classifier(n_estimators=3, max_iter=30, random_state=0).fit(X, y)
    mlp = MLP01Classifier(n_hidden=2, n_estimators=3, max_iter=30, random_state=0).fit(X, y)
    curve = security_curve(
        {"scd01": scd, "mlp01": mlp},
        {"sign": LinearSignAttack(None), "mlp01": MLP01Attack(None, random_state=0),
         "pgd": SmoothedPGDAttack(None, random_state=0),
         "hsj": HopSkipJumpAttack(None, max_steps=15, random_state=0)},
        X, y, EPS, certify=True)
    table = curve.table
    skipped = {(s["model"], s["attack"]) for s in curve.skipped}
    assert skipped == {("scd01", "mlp01"), ("mlp01", "sign")}
    assert table[(table.model == "mlp01") & (table.attack == "sign")].accuracy.isna().all()
    certified = table[table.kind == "certified"]
    assert len(certified) == 2 * len(EPS)
    assert not any(f["check"] == "certificate-violated" for f in curve.flags)
    for model in ("scd01", "mlp01"):
        rows = table[table.model == model]
        floor = rows[rows.kind == "certified"].set_index("eps").accuracy
        for _, r in rows[rows.kind != "certified"].dropna().iterrows():
            assert r.accuracy >= floor[r.eps] - 1e-12
    axes = curve.plot()
    assert len(axes) == 2


def test_without_pandas_the_table_is_a_list(monkeypatch):
    X, y = data()
    curve = security_curve(LinearSVC().fit(X, y), {"sign": LinearSignAttack(None)}, X, y, EPS)
    monkeypatch.setitem(sys.modules, "pandas", None)
    assert isinstance(curve.table, list) and len(curve.table) == len(EPS)
    assert curve.table[0]["model"] == "model"


def test_bad_input():
    X, y = data()
    svm = LinearSVC().fit(X, y)
    sign = {"sign": LinearSignAttack(None)}
    with pytest.raises(ValueError, match="eps"):
        security_curve(svm, sign, X, y, [])
    with pytest.raises(ValueError, match="eps"):
        security_curve(svm, sign, X, y, [0.1, -0.1])
    with pytest.raises(ValueError, match="eps"):
        security_curve(svm, sign, X, y, [[0.1]])
    with pytest.raises(ValueError, match="rows"):
        security_curve(svm, sign, X, y[:-1], EPS)
    with pytest.raises(ValueError, match="attacks"):
        security_curve(svm, {}, X, y, EPS)
    with pytest.raises(TypeError, match="not an attack"):
        security_curve(svm, {"svm": svm}, X, y, EPS)
    with pytest.raises(ValueError, match="kind of attack"):
        security_curve(svm, {"x": DoNothing(None)}, X, y, EPS)
    with pytest.raises(ValueError, match="kind of attack"):
        security_curve(svm, sign, X, y, EPS, kinds={"sign": "grey-box"})
    with pytest.raises(TypeError, match="predict"):
        security_curve({"m": object()}, sign, X, y, EPS)
    X_in = X.copy()
    security_curve(svm, sign, X, y, EPS)
    np.testing.assert_array_equal(X, X_in)


class Reflect(BaseAttack):
    """A 'white-box' attack that ignores eps (returns the rows of the other class
    nearest to each point, inside (0, 1)): it must violate any certificate of its
    own domain."""

    def _perturb(self, X, y_index):
        X = np.asarray(X)
        labels = self.estimator_.predict(X)
        other = int(np.argmax(labels != labels[0]))  # a row of the other class
        return np.where((labels == labels[0])[:, None], X[other], X[0])


def test_certificate_check_only_for_attacks_within_its_domain():
    from sklearn.datasets import make_classification
    X, y = make_classification(30, 4, n_informative=3, n_redundant=0, random_state=1)
    X = (X - X.min(0)) / (X.max(0) - X.min(0))  # points on the edges of (0, 1)
    svm = LinearSVC().fit(X, y)
    # an attack with clip=None may leave the certificate's (0, 1): no false flag
    hsj = HopSkipJumpAttack(None, clip=None, max_steps=10, random_state=0)
    curve = security_curve({"svm": svm}, {"hsj": hsj}, X, y, eps=[0, 0.1, 0.3],
                           certify=True)
    assert not [f for f in curve.flags if f["check"] == "certificate-violated"]
    # an attack inside the certificate's domain that beats it is still flagged
    curve = security_curve({"svm": svm}, {"hsj": hsj, "reflect": Reflect(None)}, X, y,
                           eps=[0, 0.1], certify=True, kinds={"reflect": "white-box"})
    violated = {f["attack"] for f in curve.flags if f["check"] == "certificate-violated"}
    assert violated == {"reflect"}


def test_kinds_naming_no_attack_is_an_error():
    X, y = data()
    svm = LinearSVC().fit(X, y)
    with pytest.raises(ValueError, match="kinds names no attack.*'zz'"):
        security_curve(svm, {"sign": LinearSignAttack(None)}, X, y, EPS,
                       kinds={"zz": "white-box"})
