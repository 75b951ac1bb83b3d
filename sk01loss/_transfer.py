"""Transferability matrices: accuracy of every target on every source's adversaries
(the layout of the paper's Tables III and IV)."""

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from .attacks import FGSMAttack, LinearSignAttack, MLP01Attack
from .attacks._base import BaseAttack, check_in_clip, check_label_kind, estimator_input, unwrap
from .attacks._views import check_pipeline, try_view


def _named(models, what):
    pairs = list(models.items()) if isinstance(models, dict) else list(models)
    try:
        names = [str(name) for name, _ in pairs]
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a dict or a list of (name, estimator) pairs.") from None
    if not pairs:
        raise ValueError(f"{what} is empty.")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} has repeated names: {names}.")
    for name, model in pairs:
        try:
            check_is_fitted(unwrap(model))
        except NotFittedError:
            raise NotFittedError(
                f"{what}[{name!r}] ({type(unwrap(model)).__name__}) is not fitted; "
                "transfer_matrix needs trained models.") from None
        except TypeError:
            raise TypeError(f"{what}[{name!r}] is not an estimator: {model!r}.") from None
    return [(str(name), model) for name, model in pairs]


def auto_attack(model, *, eps=0.1, clip=(0.0, 1.0), random_state=None):
    """The paper's white-box attack for ``model`` (Xue, Xie and Roshan 2020, Sec. III-B).

    ``MLP01Classifier``: :class:`~sk01loss.attacks.MLP01Attack`; ``SCD01Classifier``
    and linear models with ``coef_``: :class:`~sk01loss.attacks.LinearSignAttack`;
    any other model with an input gradient (``MLPClassifier``, a model with
    ``decision_function_vjp``): :class:`~sk01loss.attacks.FGSMAttack`. Ensembles
    are attacked whole (``votes=None``, the white-box attacks' default). A
    ``Pipeline`` of affine steps gets the attack of its final model, made in the
    pipeline's input space.

    Parameters
    ----------
    model : fitted classifier
    eps, clip, random_state
        The attack's parameters.

    Returns
    -------
    attack : attack transformer, unfitted, holding ``FrozenEstimator(model)``

    Raises
    ------
    TypeError
        If no white-box attack is known for ``model`` (the message names it), or a
        step of a pipeline is not affine (the message names the step).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import LinearSVC
    >>> from sk01loss._transfer import auto_attack
    >>> X, y = load_iris(return_X_y=True)
    >>> type(auto_attack(LinearSVC().fit(X, y))).__name__
    'LinearSignAttack'
    """
    frozen = FrozenEstimator(model)
    params = dict(eps=eps, clip=clip, random_state=random_state)
    who = "transfer_matrix(attack='auto')"
    view = try_view(model)
    if view is None:
        check_pipeline(model, who=who)  # a step that is not affine: named
        raise TypeError(
            f"No white-box attack is known for {type(unwrap(model)).__name__}; pass "
            "attack=... (e.g. a SubstituteAttack or HopSkipJumpAttack) for it.")
    if view.kind == "mlp01":
        return MLP01Attack(frozen, **params)
    if view.linear() is not None:
        return LinearSignAttack(frozen, **params)
    return FGSMAttack(frozen, **params)


def transfer_matrix(sources, targets, X, y, *, attack="auto", eps=0.1, clip=(0.0, 1.0),
                    labels="true", random_state=None, as_frame="auto"):
    """Accuracy of every target on adversarial examples crafted on every source.

    Parameters
    ----------
    sources : dict or list of (name, estimator)
        Fitted models to craft adversaries on (one row each).
    targets : dict or list of (name, estimator)
        Fitted models to evaluate (one column each); often the same as ``sources``.
    X : array-like of shape (n_samples, n_features)
        Points to perturb, e.g. a test set in [0, 1].
    y : array-like of shape (n_samples,)
        Their true labels.
    attack : "auto", attack transformer or dict, default="auto"
        ``"auto"``: the paper's white-box attack per source (``auto_attack``: linear
        sign for SCD01 and linear models, FGSM for ``MLPClassifier`` and models with
        ``decision_function_vjp``, the MLP01 heuristic for ``MLP01Classifier``;
        ensembles attacked whole, every vote; a pipeline of affine steps, such as a
        scaler, in front of those is attacked in its input space), built with
        ``eps``, ``clip`` and ``random_state``. An attack instance: a clone of it per source, with its
        ``estimator`` set to the frozen source and its own ``eps``/``clip``. A dict:
        an attack instance per source name.
    eps : float, default=0.1
        L-infinity radius of the ``"auto"`` attacks.
    clip : (float, float) or None, default=(0.0, 1.0)
        Input domain of the ``"auto"`` attacks: ``X`` must lie in it (a ValueError
        otherwise; an attack instance checks ``X`` against its own ``clip``), and the
        adversaries are clipped to it. ``None`` allows any finite values.
    labels : {"true", "predicted"}, default="true"
        Attack the true labels ``y`` (the paper's tables) or the labels each source
        predicts.
    random_state : None, int or RandomState, default=None
        Seeds the ``"auto"`` attacks (the MLP01 heuristic's node order).
    as_frame : bool or "auto", default="auto"
        Return a ``pandas.DataFrame`` (``"auto"``: when pandas is installed) or a dict
        ``{row: {target: accuracy}}``.

    Returns
    -------
    table : pandas.DataFrame or dict
        Rows ``"clean"`` and one per source, columns one per target, values the
        accuracy in [0, 1] of the target on the row's points (clean ``X`` or the
        source's adversaries).

    Raises
    ------
    ValueError
        If ``X`` has values outside the attacks' ``clip`` or non-finite values, if
        ``y`` has another length than ``X`` (or, with ``labels="true"``, labels a
        source does not know), if ``sources`` or ``targets`` is empty or repeats a
        name, if ``attack``, ``labels``, ``as_frame``, ``eps`` or ``clip`` are
        invalid, or if an attack's step overflows the dtype of ``X``.
    TypeError
        If ``sources``/``targets`` are not named estimators, if ``attack`` is not an
        attack, or if no white-box attack is known for a source with
        ``attack="auto"``.
    NotFittedError
        If a source or target is not fitted.

    References
    ----------
    .. [1] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
       examples between convex and 01 loss models", arXiv preprint, 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.svm import LinearSVC
    >>> from sk01loss import transfer_matrix
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> X = X / 16
    >>> models = {"svm": LinearSVC(C=0.01).fit(X, y), "logreg": LogisticRegression().fit(X, y)}
    >>> table = transfer_matrix(models, models, X, y, eps=0.3, as_frame=False)
    >>> list(table)
    ['clean', 'svm', 'logreg']
    >>> table["clean"]["svm"] > 0.99 > table["svm"]["svm"]
    True
    """
    if labels not in ("true", "predicted"):
        raise ValueError(f"labels must be 'true' or 'predicted'; got {labels!r}.")
    if as_frame not in (True, False, "auto"):
        raise ValueError(f"as_frame must be True, False or 'auto'; got {as_frame!r}.")
    sources = _named(sources, "sources")
    targets = _named(targets, "targets")
    # clear errors before any attack runs
    X_checked = check_array(X, dtype=[np.float64, np.float32])
    y = column_or_1d(y)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels.")
    for name, target in targets:
        classes = getattr(target, "classes_", None)
        if classes is not None:  # else nothing to compare with
            check_label_kind(y, classes, whose=f"the classes of targets[{name!r}]")
    if isinstance(attack, dict):
        missing = [name for name, _ in sources if name not in attack]
        if missing:
            raise ValueError(f"attack has no entry for the sources {missing}.")
        templates = list(attack.values())
    elif isinstance(attack, str):
        if attack != "auto":
            raise ValueError(f"attack must be 'auto', an attack or a dict; got {attack!r}.")
        templates = []
    else:
        templates = [attack]
    for template in templates:
        if not isinstance(template, BaseAttack):
            raise TypeError(f"attack must be 'auto', an attack transformer (e.g. FGSMAttack) "
                            f"or a dict of them; got {template!r}.")
    if isinstance(attack, dict):
        for name, _ in sources:
            check_in_clip(X_checked, attack[name].clip, what=f"X (for attack[{name!r}])")
    else:
        check_in_clip(X_checked, clip if isinstance(attack, str) else attack.clip)
    rng = check_random_state(random_state)

    def accuracies(points):
        return {name: float(np.mean(np.asarray(target.predict(estimator_input(target, points)))
                                    == y))
                for name, target in targets}

    table = {"clean": accuracies(X)}
    for name, source in sources:
        if isinstance(attack, str):
            source_attack = auto_attack(source, eps=eps, clip=clip,
                                        random_state=rng.randint(np.iinfo(np.int32).max))
        else:
            template = attack[name] if isinstance(attack, dict) else attack
            source_attack = clone(template).set_params(estimator=FrozenEstimator(source))
        source_attack.fit(X, y)
        table[name] = accuracies(
            source_attack.generate(X, y) if labels == "true" else source_attack.transform(X))
    if as_frame == "auto":
        try:
            import pandas  # noqa: F401
        except ImportError:
            as_frame = False
    if not as_frame:
        return table
    import pandas as pd

    return pd.DataFrame.from_dict(table, orient="index")
