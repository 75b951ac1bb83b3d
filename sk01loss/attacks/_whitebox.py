"""White-box attacks: the linear sign attack, FGSM and the MLP01 heuristic of Xue, Xie and
Roshan (2020, Sec. III-B)."""

import pickle

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.utils import check_random_state

from .._mlp01 import MLP01Classifier
from .._scd01 import SCD01Classifier
from .._sklearn_compat import Count
from ._base import BaseAttack, clip_to, encode_labels, estimator_input, sign_step
from ._gradients import gradient_sign, loss_gradient
from ._views import check_pipeline, resolve_view

VOTES_CONSTRAINT = ["array-like", Count(1), None]


def _votes_key(votes):
    """A value that changes when ``votes`` does (``set_params`` after ``fit``)."""
    try:
        return pickle.dumps(votes)
    except (pickle.PicklingError, TypeError, AttributeError):  # never cached
        return object()


def attacked_predict_index(view, X):
    """Indices in ``view.estimator.classes_`` of the labels the attacked model (the
    selected votes, through the pipeline) predicts for validated ``X``."""
    model = view.estimator
    if isinstance(model, (SCD01Classifier, MLP01Classifier)):
        return model._predict_index(X)
    return encode_labels(model.classes_, model.predict(estimator_input(model, X)))


class ViewAttack(BaseAttack):
    """A white-box attack that sees its model through a view (``_views``), resolved
    once in ``fit`` (and again when ``votes`` changes after it)."""

    def _check_final(self, final):
        """Raise TypeError early for a final estimator the attack cannot use."""

    def _check_view(self, view):
        """Raise TypeError for a resolved view the attack cannot use."""

    def _check_unfitted_model(self, model):
        final = check_pipeline(model, who=type(self).__name__)
        self._check_final(final)
        votes = getattr(self, "votes", None)
        if votes is not None and not isinstance(final, (SCD01Classifier, MLP01Classifier)):
            raise ValueError(
                f"{type(self).__name__}: votes={votes!r} selects votes of an "
                "SCD01Classifier or MLP01Classifier ensemble, not of "
                f"{type(final).__name__}; leave votes=None.")

    def _resolve(self):
        view = resolve_view(self.estimator_, votes=getattr(self, "votes", None),
                            who=type(self).__name__)
        self._check_view(view)
        return view

    def _fit(self, X, y):
        X, y = super()._fit(X, y)
        self._view, self._view_key = self._resolve(), _votes_key(getattr(self, "votes", None))
        return X, y

    def _attacked(self):
        """The view of the attacked model: the one of ``fit``, unless ``votes``
        changed since (``transform`` must not change the attack's state)."""
        if _votes_key(getattr(self, "votes", None)) == self._view_key:
            return self._view
        return self._resolve()

    def _predicted_index(self, X):
        return attacked_predict_index(self._attacked(), X)


class LinearSignAttack(ViewAttack):
    """White-box attack on a linear classifier: ``x' = clip(x - eps * y * sign(w))``.

    Every feature moves by ``eps`` against the weight vector of the attacked label
    (the paper's attack on SVM and SCD01 [1]_, Sec. III-B), the largest decrease of
    that label's score in the L-infinity ball of radius ``eps``. ``y`` is +1 for
    ``classes_[1]`` and -1 for ``classes_[0]``; features with ``w_i = 0`` do not move.

    Parameters
    ----------
    estimator : classifier
        ``SCD01Classifier`` or any classifier with a linear decision function
        ``X @ coef_.T + intercept_`` (``LinearSVC``, ``LogisticRegression``,
        ``SGDClassifier``, ...; ``coef_`` dense or sparse), or a ``Pipeline`` of
        affine steps (``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``,
        ``PCA``, ``Saturate(p=2)``, ``FunctionTransformer()``, ``"passthrough"``,
        nested pipelines of these) ending in one: the steps are folded into the
        weights, so the step is taken in the pipeline's input space. Cloned and
        fitted in ``fit``; wrap a fitted model in ``sklearn.frozen.FrozenEstimator``
        to attack it as it is.
    votes : None, int or array-like of int, default=None
        Votes of an ``SCD01Classifier`` ensemble to attack, by the rule of its
        ``select_votes``: ``None`` attacks the whole ensemble (the model that is
        deployed) along its aggregate direction, the mean of the votes' unit weight
        vectors of the attacked problem; an int ``k`` the first ``k`` votes; a
        sequence the listed vote indices (``[v]`` attacks vote ``v`` alone, ``[0]``
        is the single-run model, the model ``n_estimators=1`` fits with the same
        seed). The selected votes are attacked as a model of their own: their mean
        direction gives the step, their majority the labels ``transform`` attacks.
        The same parameter, with the same meaning, as in :class:`MLP01Attack` and
        :class:`SmoothedPGDAttack`. Models without votes need ``None``.
    eps : float, default=0.1
        Size of the step in every feature (L-infinity radius). The paper: 0.3 for
        MNIST, 0.0625 for CIFAR10 and Mini-ImageNet.
    clip : (float, float) or None, default=(0.0, 1.0)
        Bounds of the input domain the adversaries are clipped to; ``None`` leaves
        them unclipped.
    random_state : None, int or RandomState, default=None
        Not used (the attack is deterministic); kept so that every attack has the
        same parameters.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model (the frozen estimator itself when one was given).
    classes_ : ndarray of shape (n_classes,)
        Its class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string feature names.

    See Also
    --------
    FGSMAttack : the gradient-sign attack for differentiable models.
    MLP01Attack : the white-box heuristic for ``MLP01Classifier``.

    Notes
    -----
    Multiclass models: the row of ``coef_`` (one-vs-all problem, for SCD01) of the
    attacked label, ``x' = clip(x - eps * sign(w_y))``, lowers that label's own score
    (for multinomial ``LogisticRegression`` the rows are not one-vs-all scores, but
    the step still lowers the label's logit). Binary models have one row, for
    ``classes_[1]``.

    ``transform`` attacks the labels the model predicts; ``generate(X, y)`` the
    labels ``y`` -- the paper's white-box tables use the true labels.

    References
    ----------
    .. [1] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
       examples between convex and 01 loss models", arXiv preprint, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import LinearSVC
    >>> from sk01loss.attacks import LinearSignAttack
    >>> X = np.array([[0.2, 0.1], [0.3, 0.2], [0.7, 0.9], [0.8, 0.8]])
    >>> y = np.array([0, 0, 1, 1])
    >>> attack = LinearSignAttack(LinearSVC(), eps=0.5).fit(X, y)
    >>> X_adv = attack.generate(X, y)
    >>> bool(np.abs(X_adv - X).max() <= 0.5)
    True
    >>> attack.estimator_.predict(X_adv)
    array([1, 1, 0, 0])
    """

    _parameter_constraints = {
        **BaseAttack._parameter_constraints,
        "votes": VOTES_CONSTRAINT,
    }

    def __init__(self, estimator, *, votes=None, eps=0.1, clip=(0.0, 1.0),
                 random_state=None):
        super().__init__(estimator, eps=eps, clip=clip, random_state=random_state)
        self.votes = votes

    def _check_final(self, final):
        if isinstance(final, MLP01Classifier):
            raise TypeError("LinearSignAttack needs a linear model; use MLP01Attack for "
                            "MLP01Classifier.")
        if isinstance(final, MLPClassifier):
            raise TypeError("LinearSignAttack needs a linear model; use FGSMAttack for "
                            "MLPClassifier.")

    def _check_view(self, view):
        self._check_final(view.final.estimator)
        if view.linear() is None:
            raise TypeError(
                "LinearSignAttack needs SCD01Classifier or a linear classifier with coef_ "
                "of one row (binary) or one row per class; "
                f"{type(view.final.estimator).__name__} is neither.")

    def _perturb(self, X, y_index):
        coef, _ = self._attacked().linear()
        if coef.shape[0] == 1:
            sign = np.sign(coef[0]) * np.where(y_index == 1, 1.0, -1.0)[:, None]
        else:
            sign = np.sign(coef[y_index])
        return sign_step(X, -self.eps * sign)


class FGSMAttack(ViewAttack):
    """Fast gradient sign method: ``x' = clip(x + eps * sign(grad_x L(x, y)))``.

    ``L`` is the cross-entropy of the model's logits (Goodfellow et al. [1]_; the
    paper's attack on the MLP [2]_, Sec. III-B), with gradients
    computed analytically from the fitted weights -- no deep-learning framework.

    Parameters
    ----------
    estimator : classifier
        ``MLPClassifier`` (any activation, binary or multiclass), a linear
        classifier with ``coef_`` (``LogisticRegression``, ``LinearSVC``,
        ``SGDClassifier``, ...), any classifier that brings its own gradient: a
        method ``decision_function_vjp(X, G)``, ``sum_k G[:, k]`` times the input
        gradient of column ``k`` of its ``decision_function`` (e.g. a wrapped
        PyTorch network), or a ``Pipeline`` of affine steps (``StandardScaler``,
        ``MinMaxScaler``, ``MaxAbsScaler``, ``PCA``, ``Saturate(p=2)``,
        ``FunctionTransformer()``, ``"passthrough"``, nested pipelines of these)
        ending in one: the gradient is taken in the pipeline's input space. Cloned
        and fitted in ``fit``; wrap a fitted model in
        ``sklearn.frozen.FrozenEstimator`` to attack it as it is. Models without an
        input gradient (trees, the 0/1-loss classifiers, ...) and pipelines with a
        step that is not affine raise a TypeError naming them. FGSM does not attack
        vote ensembles, so it has no ``votes``.
    eps : float, default=0.1
        Size of the step in every feature (L-infinity radius).
    clip : (float, float) or None, default=(0.0, 1.0)
        Bounds the adversaries are clipped to; ``None`` leaves them unclipped.
    random_state : None, int or RandomState, default=None
        Not used (the attack is deterministic); kept so that every attack has the
        same parameters.

    Attributes
    ----------
    estimator_ : classifier
        The fitted model.
    classes_ : ndarray of shape (n_classes,)
        Its class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string feature names.

    See Also
    --------
    LinearSignAttack : the same step for binary linear models, and SCD01 ensembles.

    Notes
    -----
    The loss is the softmax cross-entropy of the logits (binary: the logistic loss
    of the single score). For ``LogisticRegression`` and ``MLPClassifier`` that is
    the model's training loss without its penalty. For hinge-loss models
    (``LinearSVC``, ``SGDClassifier``) it replaces the hinge, whose gradient is zero
    for every point beyond the margin; for a binary linear model the step is then
    exactly the linear white-box step ``-eps * y * sign(w)``.

    References
    ----------
    .. [1] I. J. Goodfellow, J. Shlens and C. Szegedy, "Explaining and harnessing
       adversarial examples", arXiv:1412.6572, 2014.
    .. [2] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
       examples between convex and 01 loss models", arXiv preprint, 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sk01loss.attacks import FGSMAttack
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> attack = FGSMAttack(LogisticRegression(max_iter=500), eps=0.2).fit(X, y)
    >>> X_adv = attack.generate(X, y)
    >>> bool(attack.estimator_.score(X_adv, y) < 0.5 < attack.estimator_.score(X, y))
    True
    """

    def _check_final(self, final):
        if isinstance(final, (SCD01Classifier, MLP01Classifier)):
            hint = "LinearSignAttack" if isinstance(final, SCD01Classifier) else "MLP01Attack"
            raise TypeError(
                f"FGSMAttack needs an input gradient, and {type(final).__name__} has none "
                f"(its output is piecewise constant); use {hint} for it.")

    def _check_view(self, view):
        self._check_final(view.final.estimator)

    def _perturb(self, X, y_index):
        gradient = loss_gradient(self._attacked(), X, y_index, scaled=True)
        return sign_step(X, self.eps * gradient_sign(gradient, who="FGSMAttack"))


class MLP01Attack(ViewAttack):
    """White-box heuristic for ``MLP01Classifier``: push a point across one hidden
    node's hyperplane (the paper's heuristic [1]_, Sec. III-B).

    For every hidden node ``j`` with weights ``W1[:, j]``, bias ``b1[j]`` and output
    ``h_j = (x @ W1[:, j] + b1[j] > 0)`` at ``x``, the candidate is
    ``x'_j = clip(x - eps * (2 h_j - 1) * sign(W1[:, j]))``. The nodes are visited in
    a random order (drawn per row from ``random_state``) and the first candidate the
    network misclassifies is returned; when none is, the candidate of the first node
    of that order.

    Parameters
    ----------
    estimator : MLP01Classifier
        Or a ``Pipeline`` of affine steps (``StandardScaler``, ``MinMaxScaler``,
        ``MaxAbsScaler``, ``PCA``, ``Saturate(p=2)``, ``FunctionTransformer()``,
        ``"passthrough"``, nested pipelines of these) ending in one: the hidden
        nodes' weights are brought back through the steps, so candidates are made
        in the pipeline's input space. Cloned and fitted in ``fit``; wrap a fitted
        model in ``sklearn.frozen.FrozenEstimator`` to attack it as it is.
    votes : None, int or array-like of int, default=None
        Votes of the ensemble to attack, by the rule of its ``select_votes``:
        ``None`` attacks the whole ensemble (the model that is deployed): the
        candidates are the nodes of every vote (``n_estimators * n_hidden`` of them)
        and success means the ensemble's prediction changes. An int ``k`` attacks
        the first ``k`` votes, a sequence the listed vote indices (``[0]`` is the
        single-run model, the model ``n_estimators=1`` fits with the same seed), as
        a model of their own: their hidden nodes give the candidates and their
        majority decides success. The same parameter, with the same meaning, as in
        :class:`LinearSignAttack` and :class:`SmoothedPGDAttack`.
    eps : float, default=0.1
        Size of the step in every feature (L-infinity radius).
    clip : (float, float) or None, default=(0.0, 1.0)
        Bounds the candidates are clipped to (before the network judges them);
        ``None`` leaves them unclipped.
    random_state : None, int or RandomState, default=None
        Seeds the order in which nodes are tried. An int gives the same adversaries
        on every call.

    Attributes
    ----------
    estimator_ : MLP01Classifier
        The fitted model.
    classes_ : ndarray of shape (n_classes,)
        Its class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string feature names.

    Notes
    -----
    Multiclass (one-vs-all) models: the candidates come from the hidden nodes of the
    networks of the attacked label's problem, and success means the attacked model
    (the selected votes of every problem, combined like the estimator combines
    votes) predicts another label.

    The random order is drawn row by row in the order of ``X``, so a row's adversary
    can depend on its position in the batch (a batch of one row is not the same as
    the row inside a larger batch).

    Cost: one forward pass of the attacked network(s) per candidate node.

    References
    ----------
    .. [1] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
       examples between convex and 01 loss models", arXiv preprint, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_moons
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sk01loss import MLP01Classifier
    >>> from sk01loss.attacks import MLP01Attack
    >>> X, y = make_moons(200, noise=0.1, random_state=0)
    >>> X = MinMaxScaler().fit_transform(X)
    >>> clf = MLP01Classifier(n_hidden=8, n_estimators=1, max_iter=200, random_state=0)
    >>> attack = MLP01Attack(clf, eps=0.3, random_state=0).fit(X, y)
    >>> X_adv = attack.generate(X, y)
    >>> bool(attack.estimator_.score(X_adv, y) < attack.estimator_.score(X, y))
    True
    """

    _parameter_constraints = {
        **BaseAttack._parameter_constraints,
        "votes": VOTES_CONSTRAINT,
    }

    def __init__(self, estimator, *, votes=None, eps=0.1, clip=(0.0, 1.0),
                 random_state=None):
        super().__init__(estimator, eps=eps, clip=clip, random_state=random_state)
        self.votes = votes

    def _check_final(self, final):
        if not isinstance(final, MLP01Classifier):
            raise TypeError(f"MLP01Attack attacks MLP01Classifier models, not "
                            f"{type(final).__name__}.")

    def _check_view(self, view):
        self._check_final(view.final.estimator)

    def _perturb(self, X, y_index):
        view = self._attacked()
        model = view.final.estimator  # the selected votes
        n_votes = model._n_votes()
        n_hidden = model.hidden_coef_.shape[-1]
        rows = np.arange(X.shape[0])
        problems = np.zeros_like(y_index) if model.coef_.shape[0] == 1 else y_index
        # candidates c = (vote c // n_hidden, node c % n_hidden) of each row's problem
        candidate_vote = np.repeat(np.arange(n_votes), n_hidden)
        candidate_node = np.tile(np.arange(n_hidden), n_votes)
        # node outputs at x as -1/+1: the side of each hyperplane the row is on, as the
        # model computes them on its own input (the pipeline's steps applied)
        Z = view.transform(X)
        on = model._hidden_bits(Z, model._prediction_units(np.arange(n_votes))).reshape(
            X.shape[0], model.hidden_coef_.shape[0], n_votes * n_hidden)
        side = np.where(on[rows, problems], 1.0, -1.0)

        def candidate(c_vote, c_node, c_side):
            # the node's weights in input space (through the pipeline's affine steps)
            direction = np.sign(view.pullback(model.hidden_coef_[problems, c_vote, :, c_node]))
            return clip_to(sign_step(X, (-self.eps * c_side)[:, None] * direction), self.clip)

        fooled = np.empty(side.shape, dtype=bool)
        for c in range(side.shape[1]):
            X_c = candidate(candidate_vote[c], candidate_node[c], side[:, c])
            fooled[:, c] = attacked_predict_index(view, X_c) != y_index
        rng = check_random_state(self.random_state)
        order = np.argsort(rng.random_sample(side.shape), axis=1)
        # the first fooling node in the row's order, else (argmax of all False) its first
        first = np.argmax(np.take_along_axis(fooled, order, axis=1), axis=1)
        chosen = order[rows, first]
        return candidate(candidate_vote[chosen], candidate_node[chosen], side[rows, chosen])
