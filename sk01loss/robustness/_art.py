"""Interoperability with the Adversarial Robustness Toolbox (ART).

ART's scikit-learn wrappers accept scikit-learn's own estimators only; its
``BlackBoxClassifier`` accepts any function from inputs to class scores, and that is
all its decision-based attacks (HopSkipJump, Boundary Attack, ...) and score-based
ones need. :func:`to_art` wraps any fitted classifier this way (its ``predict``,
one-hot), and :func:`art_labels` turns labels into the one-hot targets ART expects.
ART is an optional dependency (``pip install 'sk01loss[art]'``).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..attacks._base import check_clip, encode_labels, estimator_input, unwrap


def _import_black_box():
    try:
        from art.estimators.classification import BlackBoxClassifier
    except ImportError as error:  # pragma: no cover - exercised without ART
        raise ImportError(
            "to_art needs the Adversarial Robustness Toolbox: "
            "pip install 'sk01loss[art]' (or adversarial-robustness-toolbox).") from error
    return BlackBoxClassifier


def to_art(estimator, *, clip_values=(0.0, 1.0)):
    """An ART ``BlackBoxClassifier`` answering ``estimator``'s predicted labels.

    Parameters
    ----------
    estimator : classifier
        Any fitted classifier with ``predict`` and ``classes_`` (a ``Pipeline`` or a
        ``FrozenEstimator`` included), e.g. an ``SCD01Classifier``.
    clip_values : (float, float) or None, default=(0.0, 1.0)
        The input domain, which ART's attacks keep their queries in.

    Returns
    -------
    classifier : art.estimators.classification.BlackBoxClassifier
        Its ``predict(x)`` returns, for ``x`` of shape (n_samples, n_features), the
        one-hot float array (n_samples, n_classes) of the labels ``estimator``
        predicts, columns in the order of ``estimator.classes_``.

    Raises
    ------
    ImportError
        If ART is not installed.
    NotFittedError
        If ``estimator`` is not fitted.
    ValueError
        If ``clip_values`` is not ``None`` or an increasing pair of numbers.

    References
    ----------
    .. [1] Nicolae et al., "Adversarial Robustness Toolbox v1.0.0", arXiv:1807.01069.

    Examples
    --------
    >>> from art.attacks.evasion import HopSkipJump  # doctest: +SKIP
    >>> art_model = to_art(FrozenEstimator(scd01))  # doctest: +SKIP
    >>> attack = HopSkipJump(art_model, targeted=False, norm=2)  # doctest: +SKIP
    >>> X_adv = attack.generate(X_test.astype(np.float32))  # doctest: +SKIP
    """
    BlackBoxClassifier = _import_black_box()
    check_is_fitted(unwrap(estimator))
    classes = np.asarray(estimator.classes_)
    clip = check_clip(clip_values)
    n_features = getattr(estimator, "n_features_in_", None)
    if n_features is None:
        raise ValueError("to_art needs a classifier with n_features_in_ (fitted on a 2-D X).")
    identity = np.eye(classes.size, dtype=np.float32)

    def predict(x):
        x = np.asarray(x).reshape(len(x), -1)
        labels = estimator.predict(estimator_input(estimator, x))
        return identity[encode_labels(classes, labels)]

    return BlackBoxClassifier(predict, input_shape=(int(n_features),), nb_classes=classes.size,
                              clip_values=clip)


def art_labels(estimator, y):
    """``y`` as the one-hot targets ART's attacks take, columns in the order of
    ``estimator.classes_``.

    Parameters
    ----------
    estimator : classifier
        A fitted classifier with ``classes_``.
    y : array-like of shape (n_samples,)
        Labels among ``estimator.classes_``.

    Returns
    -------
    targets : ndarray of shape (n_samples, n_classes), float32

    Raises
    ------
    ValueError
        If ``y`` holds a label the estimator does not know.
    """
    classes = np.asarray(estimator.classes_)
    index = encode_labels(classes, np.asarray(y).ravel())
    if np.any(index < 0):
        raise ValueError(f"y holds labels the model does not know; its classes are "
                         f"{classes.tolist()}.")
    return np.eye(classes.size, dtype=np.float32)[index]
