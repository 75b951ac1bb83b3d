"""transfer_matrix: layout, every cell recomputed by hand, and its errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from sk01loss import MLP01Classifier, SCD01Classifier, transfer_matrix
from sk01loss._transfer import auto_attack
from sk01loss.attacks import FGSMAttack, LinearSignAttack, MLP01Attack


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(n_class=2, return_X_y=True)
    X = X / 16.0
    X_train, y_train, X_test, y_test = X[::2], y[::2], X[1::2], y[1::2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        models = {
            "SVM": LinearSVC(C=0.01).fit(X_train, y_train),
            # (flip_orientation: a single vote must not be stuck at a constant)
            "SCD01": SCD01Classifier(n_estimators=1, max_iter=200, flip_orientation=True,
                                     random_state=0).fit(X_train, y_train),
            "MLP": MLPClassifier((10,), max_iter=300, random_state=0).fit(X_train, y_train),
            "MLP01": MLP01Classifier(n_hidden=6, n_estimators=1, max_iter=200,
                                     random_state=0).fit(X_train, y_train),
        }
    return models, X_test, y_test


def test_layout_and_every_cell_recomputed(digits):
    models, X, y = digits
    table = transfer_matrix(models, models, X, y, eps=0.2, random_state=0)
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == ["clean", "SVM", "SCD01", "MLP", "MLP01"]
    assert list(table.columns) == ["SVM", "SCD01", "MLP", "MLP01"]
    for name, model in models.items():
        assert table.loc["clean", name] == model.score(X, y)
    # the attack each source gets, built by hand
    attacks = {
        "SVM": LinearSignAttack(FrozenEstimator(models["SVM"]), eps=0.2),
        "SCD01": LinearSignAttack(FrozenEstimator(models["SCD01"]), eps=0.2),
        "MLP": FGSMAttack(FrozenEstimator(models["MLP"]), eps=0.2),
    }
    for source, attack in attacks.items():
        X_adv = attack.fit(X).generate(X, y)
        for target, model in models.items():
            assert table.loc[source, target] == model.score(X_adv, y)
    # MLP01: a node candidate per row; its own accuracy drops, the values are accuracies
    assert table.loc["MLP01", "MLP01"] < table.loc["clean", "MLP01"]
    assert ((table.values >= 0) & (table.values <= 1)).all()
    # white-box attacks beat their own linear source
    assert table.loc["SCD01", "SCD01"] == table["SCD01"].drop("clean").min()
    assert table.loc["SCD01", "SCD01"] < 0.25 * table.loc["clean", "SCD01"]
    assert table.loc["SVM", "SVM"] < table.loc["clean", "SVM"]


def test_seeded_and_as_dict(digits):
    models, X, y = digits
    one = transfer_matrix(models, models, X, y, eps=0.2, random_state=1, as_frame=False)
    two = transfer_matrix(models, models, X, y, eps=0.2, random_state=1, as_frame=False)
    assert one == two and isinstance(one, dict)
    assert set(one) == {"clean", "SVM", "SCD01", "MLP", "MLP01"}


def test_one_attack_for_every_source_and_a_dict_of_attacks(digits):
    models, X, y = digits
    sources = {"SVM": models["SVM"], "MLP": models["MLP"]}
    targets = [("SCD01", models["SCD01"]), ("MLP01", models["MLP01"])]
    table = transfer_matrix(sources, targets, X, y, attack=FGSMAttack(None, eps=0.1))
    assert list(table.index) == ["clean", "SVM", "MLP"]
    assert list(table.columns) == ["SCD01", "MLP01"]
    X_adv = FGSMAttack(FrozenEstimator(models["SVM"]), eps=0.1).fit(X).generate(X, y)
    assert table.loc["SVM", "SCD01"] == models["SCD01"].score(X_adv, y)

    attack = {"SVM": LinearSignAttack(None, eps=0.05), "MLP": FGSMAttack(None, eps=0.3)}
    table = transfer_matrix(sources, targets, X, y, attack=attack)
    X_adv = FGSMAttack(FrozenEstimator(models["MLP"]), eps=0.3).fit(X).generate(X, y)
    assert table.loc["MLP", "MLP01"] == models["MLP01"].score(X_adv, y)
    with pytest.raises(ValueError, match="no entry"):
        transfer_matrix(sources, targets, X, y, attack={"SVM": attack["SVM"]})


def test_predicted_labels_mode(digits):
    models, X, y = digits
    sources = {"SVM": models["SVM"]}
    table = transfer_matrix(sources, models, X, y, eps=0.3, labels="predicted")
    X_adv = LinearSignAttack(FrozenEstimator(models["SVM"]), eps=0.3).fit(X).transform(X)
    assert table.loc["SVM", "MLP"] == models["MLP"].score(X_adv, y)


def test_auto_attack_choice(digits):
    models, _, _ = digits
    chosen = {name: type(auto_attack(model)).__name__ for name, model in models.items()}
    assert chosen == {"SVM": "LinearSignAttack", "SCD01": "LinearSignAttack",
                      "MLP": "FGSMAttack", "MLP01": "MLP01Attack"}
    assert auto_attack(models["MLP01"]).votes is None  # the whole ensemble
    assert isinstance(auto_attack(LogisticRegression().fit([[0.0], [1.0]], [0, 1])),
                      LinearSignAttack)


def test_errors(digits):
    models, X, y = digits
    with pytest.raises(NotFittedError, match="sources\\['raw'\\]"):
        transfer_matrix({"raw": LinearSVC()}, models, X, y)
    with pytest.raises(NotFittedError, match="targets"):
        transfer_matrix(models, {"raw": MLP01Classifier()}, X, y)
    tree = DecisionTreeClassifier().fit(X, y)
    with pytest.raises(TypeError, match="No white-box attack"):
        transfer_matrix({"tree": tree}, models, X, y)
    with pytest.raises(TypeError, match="attack"):
        transfer_matrix(models, models, X, y, attack=LinearSVC())
    with pytest.raises(ValueError, match="attack"):
        transfer_matrix(models, models, X, y, attack="fgsm")
    with pytest.raises(ValueError, match="labels"):
        transfer_matrix(models, models, X, y[:-1])
    with pytest.raises(ValueError, match="labels must be"):
        transfer_matrix(models, models, X, y, labels="yes")
    with pytest.raises(ValueError, match="empty"):
        transfer_matrix({}, models, X, y)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        transfer_matrix(models, models, X_nan, y)
    with pytest.raises(ValueError, match="eps"):
        transfer_matrix(models, models, X, y, eps=-1.0)


def test_sources_left_untouched(digits):
    models, X, y = digits
    before = {name: model.get_params() for name, model in models.items()}
    coef = models["SVM"].coef_.copy()
    X_copy = X.copy()
    transfer_matrix(models, models, X, y, eps=0.1, attack={
        name: auto_attack(model, eps=0.1, random_state=0) for name, model in models.items()})
    np.testing.assert_array_equal(models["SVM"].coef_, coef)
    np.testing.assert_array_equal(X, X_copy)
    assert before == {name: model.get_params() for name, model in models.items()}
    assert isinstance(auto_attack(models["MLP01"]), MLP01Attack)


def test_data_outside_clip_rejected_before_any_attack(digits):
    models, X, y = digits
    pixels = np.round(X * 16)
    message = r"X has values in \[0, 16\] outside clip=\(0\.0, 1\.0\).*clip=\(0, 16\)"
    for data in (pixels, pixels.astype(np.uint8)):
        with pytest.raises(ValueError, match=message):
            transfer_matrix(models, models, data, y)
    with pytest.raises(ValueError, match=r"outside clip=\(0\.0, 0\.5\)"):
        transfer_matrix(models, models, X, y, clip=(0.0, 0.5))
    with pytest.raises(ValueError, match=r"X \(for attack\['SVM'\]\) has values"):
        transfer_matrix(models, models, X, y, attack={
            name: auto_attack(model, clip=(0.0, 0.5)) for name, model in models.items()})
    with pytest.raises(ValueError, match=r"outside clip=\(0\.0, 0\.5\)"):
        transfer_matrix({"SVM": models["SVM"]}, models, X, y,
                        attack=FGSMAttack(LinearSVC(), clip=(0.0, 0.5)))
    # a clip that holds the data: every cell an accuracy
    table = transfer_matrix({"SVM": models["SVM"]}, models, pixels, y, eps=0.3 * 16,
                            clip=(0, 16), as_frame=False)
    assert all(0.0 <= v <= 1.0 for row in table.values() for v in row.values())


def test_labels_of_another_kind_rejected(digits):
    models, X, y = digits
    with pytest.raises(ValueError, match=r"y has labels of dtype <U.*targets\['SVM'\]"):
        transfer_matrix(models, models, X, np.where(y == 1, "one", "zero"))
