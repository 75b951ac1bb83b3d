"""Transfer-based black-box attack: a substitute trained on the target's labels with
Jacobian-based dataset augmentation, then FGSM on the substitute (Papernot et al. 2017;
Xue, Xie and Roshan 2020, Sec. III-C)."""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d, validate_data

from .._sklearn_compat import Count, HasMethods, NumberInterval, StrOptions, _fit_context
from ._base import BaseAttack, check_clip, check_finite_step, check_in_clip, \
    check_label_kind, clip_to, encode_labels, estimator_input, fit_target, sign_step, \
    unique_labels
from ._gradients import check_gradient_support, gradient_sign, logit_gradient, loss_gradient


def default_substitute():
    """The paper's convex substitute, unfitted: the model ``SubstituteAttack`` uses
    when given ``substitute=None``.

    Two hidden layers of 200 ReLU units, softmax cross-entropy, Adam (learning rate
    1e-3), batches of 128, 20 epochs per round (``max_iter``), warm-started across
    rounds: the settings of the authors' code for the paper's black-box experiments
    [1]_ (Sec. III-C). Early stopping on the training loss is switched off
    (``n_iter_no_change=10**9``): the counter survives warm starts, and a new
    round's data raise the loss, which would otherwise end rounds early.

    Returns
    -------
    substitute : MLPClassifier
        A new, unfitted network; change its settings with ``set_params`` (e.g.
        ``learning_rate_init=1e-4``, the paper's rate for CIFAR10) and pass it as
        ``SubstituteAttack(substitute=...)``.

    See Also
    --------
    SubstituteAttack : the black-box attack that trains it.

    References
    ----------
    .. [1] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
       examples between convex and 01 loss models", arXiv preprint, 2020.

    Examples
    --------
    >>> from sk01loss.attacks import default_substitute
    >>> net = default_substitute().set_params(learning_rate_init=1e-4)
    >>> net.hidden_layer_sizes, net.max_iter, net.warm_start
    ((200, 200), 20, True)
    """
    return MLPClassifier(
        hidden_layer_sizes=(200, 200), activation="relu", solver="adam",
        learning_rate_init=1e-3, batch_size=128, max_iter=20, warm_start=True,
        # the no-improvement counter survives warm starts; a new round's data raise the
        # loss, which would otherwise end rounds early
        n_iter_no_change=10**9,
    )


class SubstituteAttack(BaseAttack):
    """Black-box attack through a substitute model (Papernot et al. [1]_).

    The target is queried only through ``predict``. Starting from ``n_initial`` of
    the attacker's points, every round labels the whole substitute set with the
    target, trains the substitute on those labels and -- except after the last
    round -- adds the Jacobian-augmented copy ``x + lambda_r * sign(dF_y(x)/dx)`` of
    every point, ``F_y`` the substitute's logit of the target's label and
    ``lambda_r = +-lmbda`` with one random sign per round. The set doubles while the
    doubled set fits in ``max_set_size``, after which each round's augmented copy
    replaces it (the seeds are dropped, unless ``keep_seeds``). Adversaries are FGSM
    steps on the substitute.

    With the defaults (200 seeds, cap 6400, 20 rounds) the set sizes are 200, 400,
    800, 1600, 3200, then 6400 for the remaining 15 rounds: 102,200 target queries.

    Parameters
    ----------
    estimator : classifier
        The target. Wrap a trained model in ``sklearn.frozen.FrozenEstimator`` to
        attack it as it is (then ``fit`` needs no labels); otherwise ``fit`` first
        fits a clone on ``(X, y)``. Only its ``predict`` is used.
    substitute : classifier, default=None
        ``None``: the paper's convex substitute, ``MLPClassifier((200, 200),
        activation="relu", solver="adam", learning_rate_init=1e-3, batch_size=128,
        max_iter=20, warm_start=True)`` (``max_iter`` is the epochs per round). Pass
        your own ``MLPClassifier`` to change these (e.g. ``learning_rate_init=1e-4``
        for CIFAR10), a linear classifier with ``coef_``, a classifier with its own
        gradient (``decision_function_vjp``, see :class:`FGSMAttack`; e.g. a
        convolutional network), or an ``SCD01Classifier``
        (the paper's SCD01 substitute [2]_, Sec. III-C; its linear surrogate, the
        mean of its votes' weights, gives the gradients; ``n_estimators=1`` is the
        paper's single run), or a ``Pipeline`` of affine steps (a scaler, say)
        ending in one of those. The substitute is cloned and refitted with ``fit``
        every round, so a model with
        ``warm_start=True`` continues from the previous round; when the set of labels
        the target returns changes from one round to the next, it starts afresh (a
        warm start needs the same classes). A ``random_state=None`` of the substitute
        is replaced by a seed drawn from ``random_state`` (in a pipeline, set the
        model's own ``random_state``).
    eps : float, default=0.1
        FGSM step on the substitute (L-infinity radius). The paper: 0.3 (0.2 in its
        job script) for MNIST, 0.0625 for CIFAR10 and Mini-ImageNet.
    clip : (float, float) or None, default=(0.0, 1.0)
        The input domain: ``X`` (in ``fit``, ``transform``, ``generate``) and
        ``eval_set`` must lie in it (a ValueError otherwise), and the adversaries are
        clipped to it; ``None`` allows any finite values and leaves them unclipped.
    n_rounds : int, default=20
        Rounds of labelling and training (the paper's 20 "epochs").
    lmbda : float, default=0.1
        Augmentation step ``lambda`` (the paper: 0.1; 0.01 for Mini-ImageNet).
    random_sign : bool, default=True
        Flip the sign of ``lambda`` at random once per round (the paper's code);
        ``False`` always steps with ``+lmbda``.
    n_initial : int, default=200
        Number of the attacker's points, drawn at random from ``X`` in ``fit``, that
        seed the substitute set (all of ``X`` if it has fewer rows).
    max_set_size : int, default=6400
        Cap of the substitute set: it doubles while ``2 * size <= max_set_size``.
        At least the number of seed points.
    clip_augmented : bool, default=False
        Clip augmented points to ``clip``. The paper's convex substitute did not
        (points may leave the input domain); its SCD01 substitute did.
    keep_seeds : bool, default=False
        Keep the seed points in the set once it is capped: the seeds replace their
        own augmented copies, the rest of the set is replaced as usual. The paper's
        code drops them, so that from then on the substitute
        trains on augmented points only.
    augmentation : {"jacobian", "uniform"}, default="jacobian"
        ``"jacobian"``: the step above. ``"uniform"``: the variant in the authors'
        code for the SCD01 substitute: every feature of a
        point moves by ``-lambda_r * (2 * s - 1)``, ``s`` in {0, 1} the
        substitute's prediction for it (a brightness shift away from its side);
        binary targets only.
    callback : callable or None, default=None
        Called after every round as ``callback(info)``, ``info`` a dict with
        ``round`` (1-based), ``substitute`` (the round's fitted substitute: the
        live model, which later rounds keep training; read it, or
        ``copy.deepcopy`` it to keep it), ``X_substitute`` (ndarray of shape
        (set_size, n_features): the substitute set it was trained on this round),
        ``y_substitute`` (ndarray of shape (set_size,): the target's labels of that
        set) and ``record`` (the round's entry of ``history_``, evaluation included
        with ``eval_set``). Its return value is ignored; an exception it raises
        ends ``fit``. The arrays are copies (changing them does not change the
        attack). Use it to record per-round measurements or to save
        substitutes. Like every parameter it is deep-copied by ``clone``, which
        keeps a function (or closure) itself: its records stay where it puts them.
    random_state : None, int or RandomState, default=None
        Seeds the choice of seed points, the signs of ``lambda`` and the substitute
        (when its own ``random_state`` is ``None``).

    Attributes
    ----------
    estimator_ : classifier
        The target (the frozen estimator itself when one was given).
    substitute_ : classifier
        The substitute after the last round.
    classes_ : ndarray
        The substitute's classes (labels the target returned).
    history_ : list of dict
        One dict per round: ``round`` (1-based), ``set_size``, ``n_queries`` (target
        labels requested that round), ``total_queries``, ``substitute_agreement``
        (the substitute's accuracy on its own training set and the target's labels);
        with ``eval_set``, also ``target_accuracy`` (clean, the same every round:
        epoch 0 of the paper's figures), ``target_accuracy_adv`` (on the round's FGSM
        adversaries of the true labels), ``substitute_accuracy`` (clean, true
        labels), ``match_clean`` and ``match_adv`` (fraction of points where target
        and substitute predict the same label, on clean and adversarial points;
        Fig. 5). ``pandas.DataFrame(history_)`` gives the table of Figs. 3-5.
    n_queries_ : int
        Target labels requested during training (evaluation queries not counted).
    n_rounds_ : int
        Rounds run: ``n_rounds``, or fewer if the attack stopped early (see Notes).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string feature names.

    Notes
    -----
    ``transform`` attacks the labels the target predicts for ``X`` (one query per
    row, not counted in ``n_queries_``); ``generate(X, y)`` attacks the labels ``y``
    (the paper uses the true labels) without querying the target. A label the
    substitute never saw cannot be pushed away from; such rows step away from the
    substitute's own prediction instead. Labels of another kind than the target's
    (strings for numeric labels, or the reverse) raise a ValueError.

    Augmentation can drive the whole set to one side of the target (steps that
    always go the same way, clipped, e.g. an SCD01 substitute without random
    signs). When the target then labels every point of a round with one class, no
    substitute can be trained on them: the attack stops with a ``UserWarning``,
    keeping the previous round's substitute and history (``n_rounds_`` says how
    many rounds ran). If that happens on the seed points, ``fit`` raises a
    ``ValueError``.

    For a binary ``MLPClassifier`` substitute (a single logistic output ``z``) the
    class logits are taken as ``F_1 = z`` and ``F_0 = -z``: the two-logit network with
    symmetric logits, as the sign of the augmentation step only needs.

    References
    ----------
    .. [1] N. Papernot, P. McDaniel, I. Goodfellow, S. Jha, Z. B. Celik and
       A. Swami, "Practical black-box attacks against machine learning", ACM Asia
       Conference on Computer and Communications Security (ASIACCS), 2017.
    .. [2] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
       examples between convex and 01 loss models", arXiv preprint, 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.neural_network import MLPClassifier
    >>> from sk01loss.attacks import SubstituteAttack
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> X = X / 16
    >>> target = LogisticRegression().fit(X[100:], y[100:])
    >>> attack = SubstituteAttack(
    ...     FrozenEstimator(target), substitute=MLPClassifier((50,), max_iter=50, warm_start=True),
    ...     eps=0.3, n_rounds=3, n_initial=50, random_state=0)
    >>> attack = attack.fit(X[:100], eval_set=(X[100:], y[100:]))
    >>> [h["set_size"] for h in attack.history_], attack.n_queries_
    ([50, 100, 200], 350)
    >>> bool(attack.history_[-1]["target_accuracy_adv"] < attack.history_[-1]["target_accuracy"])
    True
    """

    _parameter_constraints = {
        **BaseAttack._parameter_constraints,
        "substitute": [HasMethods(["fit", "predict"]), None],
        "n_rounds": [Count(1)],
        "lmbda": [NumberInterval(Real, 0, None, closed="left")],
        "random_sign": ["boolean"],
        "n_initial": [Count(1)],
        "max_set_size": [Count(1)],
        "clip_augmented": ["boolean"],
        "keep_seeds": ["boolean"],
        "augmentation": [StrOptions({"jacobian", "uniform"})],
        "callback": [callable, None],
    }

    def __init__(
        self,
        estimator,
        *,
        substitute=None,
        eps=0.1,
        clip=(0.0, 1.0),
        n_rounds=20,
        lmbda=0.1,
        random_sign=True,
        n_initial=200,
        max_set_size=6400,
        clip_augmented=False,
        keep_seeds=False,
        augmentation="jacobian",
        callback=None,
        random_state=None,
    ):
        super().__init__(estimator, eps=eps, clip=clip, random_state=random_state)
        self.substitute = substitute
        self.n_rounds = n_rounds
        self.lmbda = lmbda
        self.random_sign = random_sign
        self.n_initial = n_initial
        self.max_set_size = max_set_size
        self.clip_augmented = clip_augmented
        self.keep_seeds = keep_seeds
        self.augmentation = augmentation
        self.callback = callback

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, *, eval_set=None):
        """Train the substitute on the target's labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The attacker's data: ``n_initial`` rows drawn at random seed the
            substitute set. When ``estimator`` is not frozen, also the training data
            of the target's clone.
        y : array-like of shape (n_samples,), default=None
            Labels to fit the target's clone; ignored for a frozen target (the
            substitute only ever sees the target's labels).
        eval_set : (X_eval, y_eval), default=None
            Points and true labels to evaluate every round on (``history_``). The
            paper's protocol draws the 200 seeds from the test set and evaluates on
            the rest of it.

        Returns
        -------
        self : object
            Fitted attack.

        Raises
        ------
        ValueError
            If ``X`` or ``eval_set``'s points have values outside ``clip`` or
            non-finite values, or ``eval_set``'s labels are not the target's; if the
            target answers a single class on the seed points; if ``max_set_size`` is
            smaller than the number of seeds; if an augmentation step of ``lmbda``
            overflows the dtype of ``X`` (a huge ``lmbda`` without ``clip_augmented``)
            or the substitute's gradient is not finite.
        TypeError
            If the substitute has no input gradient.
        """
        check_clip(self.clip)
        X, y = self._validate_fit_data(X, y)
        self.estimator_ = fit_target(self, self.estimator, X, y)
        rng = check_random_state(self.random_state)
        template = default_substitute() if self.substitute is None else clone(self.substitute)
        if template.get_params().get("random_state", False) is None:
            template.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
        evaluation = self._evaluation_data(eval_set)

        n_seeds = min(self.n_initial, X.shape[0])
        if self.max_set_size < n_seeds:
            raise ValueError(f"max_set_size={self.max_set_size} is smaller than the "
                             f"{n_seeds} seed points the substitute set starts with.")
        seeds = rng.choice(X.shape[0], size=n_seeds, replace=False)
        data = X[np.sort(seeds)]
        substitute, classes = clone(template), None
        self.history_, self.n_queries_ = [], 0
        for round_ in range(self.n_rounds):
            labels = np.asarray(self._query(data))
            self.n_queries_ += data.shape[0]
            present = np.unique(labels)
            if present.size < 2:
                message = (f"The target predicted a single class ({present[0]!r}) for all "
                           f"{data.shape[0]} points of round {round_ + 1}; a substitute "
                           "needs two.")
                if round_ == 0:
                    raise ValueError(f"{message} Seed the attack with more varied points.")
                warnings.warn(f"{message} The attack stops after round {round_}.",
                              UserWarning, stacklevel=2)
                break
            if self.augmentation == "uniform" and present.size > 2:
                raise ValueError("augmentation='uniform' is defined for binary targets, "
                                 f"but the target answered {present.size} classes.")
            if classes is not None and not np.array_equal(present, classes):
                substitute = clone(template)
            classes = present
            with warnings.catch_warnings():
                # a few epochs per round is the protocol, not a convergence failure
                warnings.simplefilter("ignore", ConvergenceWarning)
                substitute.fit(data, labels)
            if round_ == 0:
                check_gradient_support(substitute, surrogate=True,
                                       who="SubstituteAttack's substitute")
            record = {
                "round": round_ + 1,
                "set_size": data.shape[0],
                "n_queries": data.shape[0],
                "total_queries": self.n_queries_,
                "substitute_agreement": float(np.mean(substitute.predict(data) == labels)),
            }
            if evaluation is not None:
                record.update(self._evaluate(substitute, *evaluation))
            self.history_.append(record)
            if self.callback is not None:
                self.callback({"round": round_ + 1, "substitute": substitute,
                               "X_substitute": data.copy(), "y_substitute": labels.copy(),
                               "record": dict(record)})
            if round_ < self.n_rounds - 1:
                data = self._augment(substitute, data, labels, rng, n_seeds=seeds.size)
        self.substitute_ = substitute
        self.classes_ = np.asarray(substitute.classes_)
        self.n_rounds_ = len(self.history_)
        return self

    def _query(self, X):
        return self.estimator_.predict(estimator_input(self.estimator_, X))

    def _evaluation_data(self, eval_set):
        if eval_set is None:
            return None
        try:
            X_eval, y_eval = eval_set
        except (TypeError, ValueError):
            raise ValueError("eval_set must be a pair (X_eval, y_eval).") from None
        X_eval = validate_data(self, X_eval, dtype=[np.float64, np.float32], reset=False)
        check_in_clip(X_eval, self.clip, what="X_eval")
        y_eval = column_or_1d(y_eval)
        if y_eval.shape[0] != X_eval.shape[0]:
            raise ValueError(f"eval_set has {X_eval.shape[0]} points but "
                             f"{y_eval.shape[0]} labels.")
        # labels the target cannot answer would make every accuracy 0, silently
        classes = np.asarray(self.estimator_.classes_)
        check_label_kind(y_eval, classes, whose="the target's classes")
        unknown = encode_labels(classes, y_eval) < 0
        if np.any(unknown):
            raise ValueError(
                f"eval_set's labels include some the target does not know: "
                f"{unique_labels(y_eval[unknown])[:5]}; its classes are {classes.tolist()}.")
        # evaluation queries measure the attack; they are not part of it
        return X_eval, y_eval, np.asarray(self._query(X_eval))

    def _evaluate(self, substitute, X_eval, y_eval, target_clean):
        X_adv = self._fgsm(substitute, X_eval, encode_labels(substitute.classes_, y_eval))
        target_adv = np.asarray(self._query(X_adv))
        substitute_clean = substitute.predict(X_eval)
        return {
            "target_accuracy": float(np.mean(target_clean == y_eval)),
            "target_accuracy_adv": float(np.mean(target_adv == y_eval)),
            "substitute_accuracy": float(np.mean(substitute_clean == y_eval)),
            "match_clean": float(np.mean(substitute_clean == target_clean)),
            "match_adv": float(np.mean(substitute.predict(X_adv) == target_adv)),
        }

    def _augment(self, substitute, data, labels, rng, n_seeds):
        sign = rng.choice((-1.0, 1.0)) if self.random_sign else 1.0
        if 2 * data.shape[0] <= self.max_set_size:
            return np.concatenate([data, self._step(substitute, data, labels, sign)])
        if self.keep_seeds:  # the seeds lead the set and stay in it
            return np.concatenate([data[:n_seeds], self._step(
                substitute, data[n_seeds:], labels[n_seeds:], sign)])
        return self._step(substitute, data, labels, sign)

    def _step(self, substitute, data, labels, sign):
        """The augmented copy of ``data``: a step of ``sign * lmbda`` along the
        augmentation's direction (the Jacobian's signs, or away from the predicted side)."""
        if self.augmentation == "uniform":
            side = encode_labels(substitute.classes_, substitute.predict(data))
            direction = -(2.0 * side - 1.0)[:, None]  # broadcast over every feature
        else:
            direction = gradient_sign(logit_gradient(
                substitute, data, encode_labels(substitute.classes_, labels)),
                who="SubstituteAttack's augmentation")
        new = sign_step(data, sign * self.lmbda * direction)
        if self.clip_augmented:
            return clip_to(new, self.clip, step="lmbda")
        return check_finite_step(new, step="lmbda")

    def _fgsm(self, substitute, X, y_index):
        unknown = y_index < 0
        if np.any(unknown):  # a label the substitute never saw: leave its own prediction
            y_index = y_index.copy()
            y_index[unknown] = encode_labels(substitute.classes_,
                                             substitute.predict(X[unknown]))
        gradient = loss_gradient(substitute, X, y_index, scaled=True)
        X_adv = sign_step(X, self.eps * gradient_sign(gradient, who="SubstituteAttack"))
        return clip_to(X_adv, self.clip)

    def _predicted_index(self, X):
        return encode_labels(self.classes_, np.asarray(self._query(X)))

    def _label_index(self, y, n_samples):
        y = column_or_1d(y, warn=True)
        if y.shape[0] != n_samples:
            raise ValueError(f"X has {n_samples} rows but y has {y.shape[0]} labels.")
        # labels the substitute never saw step away from its own prediction, but
        # labels of another kind (strings for numbers, say) are a mistake, not those
        check_label_kind(y, self.classes_, whose="the labels the target returned")
        return encode_labels(self.classes_, y)

    def _perturb(self, X, y_index):
        return self._fgsm(self.substitute_, X, y_index)
