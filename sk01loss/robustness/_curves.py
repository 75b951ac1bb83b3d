"""Security curves: accuracy of each model under each attack over a grid of eps."""

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.utils import check_array

from ..attacks._base import BaseAttack, check_clip

#: The kind of each attack of ``sk01loss.attacks``, by class name.
ATTACK_KINDS = {
    "LinearSignAttack": "white-box",
    "FGSMAttack": "white-box",
    "MLP01Attack": "white-box",
    "SmoothedPGDAttack": "white-box",
    "SubstituteAttack": "black-box",
    "HopSkipJumpAttack": "decision-based",
    "BoundaryAttack": "decision-based",
}
KINDS = ("white-box", "black-box", "decision-based", "certified")


def _within(inner, outer):
    """Whether the domain ``inner`` (a clip, ``None``: all of R^d) lies within
    ``outer``."""
    if outer is None:
        return True
    if inner is None:
        return False
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _attack_norm(attack):
    """``"linf"`` or ``"l2"``: the norm ``eps`` means for ``attack``."""
    if type(attack).__name__ == "BoundaryAttack":
        return "l2"
    return getattr(attack, "constraint", "linf")


@dataclass
class SecurityCurve:
    """Result of :func:`security_curve`.

    Attributes
    ----------
    records : list of dict
        One per (model, attack, eps): ``model``, ``attack``, ``kind``, ``norm``,
        ``eps``, ``accuracy`` (NaN where the attack does not apply to the model).
    flags : list of dict
        Warnings from the checks of Carlini et al. (2019), one per finding:
        ``check`` is ``"gradient-masking"`` (a black-box or decision-based attack
        leaves a lower accuracy than every white-box attack at the same model, eps
        and norm), ``"non-monotone"`` (an attack's accuracy rises with eps) or
        ``"certificate-violated"`` (an attack's accuracy is below the certified
        accuracy: a bug somewhere; checked only for the attacks whose ``clip`` lies
        within the certificate's, as an attack that may leave the certified domain
        can rightly beat it); with the model, eps, norm and the attacks and
        accuracies involved.
    skipped : list of dict
        ``model``, ``attack`` and ``reason`` for the pairs that did not apply.
    """

    records: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    skipped: list = field(default_factory=list)

    @property
    def table(self):
        """The records as a ``pandas.DataFrame`` when pandas is installed, else as
        the list of dicts."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is a test dependency
            return list(self.records)
        return pd.DataFrame(self.records, columns=["model", "attack", "kind", "norm", "eps",
                                                   "accuracy"])

    @property
    def gradient_masking(self):
        """Whether any gradient-masking flag was raised."""
        return any(flag["check"] == "gradient-masking" for flag in self.flags)

    def plot(self, ax=None):
        """Accuracy against eps, one panel per (model, norm), one line per attack;
        gradient-masking flags marked with a red cross.

        Parameters
        ----------
        ax : matplotlib Axes or array of Axes, optional
            As many as there are (model, norm) panels; new ones by default.

        Returns
        -------
        axes : ndarray of matplotlib Axes
        """
        import matplotlib.pyplot as plt

        panels = list(dict.fromkeys((r["model"], r["norm"]) for r in self.records))
        if ax is None:
            _, ax = plt.subplots(1, max(len(panels), 1), squeeze=False,
                                 figsize=(4.5 * max(len(panels), 1), 3.5))
        axes = np.ravel(ax)
        if axes.size < len(panels):
            raise ValueError(f"plot needs {len(panels)} axes, got {axes.size}.")
        styles = {"white-box": "-", "black-box": "--", "decision-based": ":",
                  "certified": "-."}
        for a, (model, norm) in zip(axes, panels):
            rows = [r for r in self.records if r["model"] == model and r["norm"] == norm]
            for attack in dict.fromkeys(r["attack"] for r in rows):
                mine = [r for r in rows if r["attack"] == attack]
                if all(math.isnan(r["accuracy"]) for r in mine):
                    continue  # the attack does not apply to this model
                a.plot([r["eps"] for r in mine], [r["accuracy"] for r in mine],
                       styles.get(mine[0]["kind"], "-"), marker="o", ms=3,
                       label=f"{attack} ({mine[0]['kind']})")
            for flag in self.flags:
                if (flag["check"] == "gradient-masking" and flag["model"] == model
                        and flag["norm"] == norm):
                    a.plot(flag["eps"], flag["other_accuracy"], "rx", ms=10, mew=2)
            a.set_title(f"{model} ({norm})")
            a.set_xlabel(f"eps ({norm})")
            a.set_ylabel("accuracy")
            a.set_ylim(-0.02, 1.02)
            a.legend(fontsize="small")
        return axes


def _accuracy_at(model, attack, X, y, eps_grid):
    """Accuracy of ``model`` under ``attack`` at each eps: from one minimum-distortion
    run for decision-based attacks, else one attack per eps."""
    if hasattr(attack, "minimize"):
        fitted = clone(attack).set_params(estimator=FrozenEstimator(model)).fit(X)
        distortion = fitted.minimize(X, y).distortion
        return [float(np.mean(distortion > eps)) for eps in eps_grid]
    out = []
    for eps in eps_grid:
        fitted = clone(attack).set_params(estimator=FrozenEstimator(model), eps=eps).fit(X)
        out.append(float(model.score(fitted.generate(X, y), y)))
    return out


def security_curve(models, attacks, X, y, eps, *, kinds=None, certify=False, clip=(0.0, 1.0),
                   time_limit=10.0, tol=0.0):
    """Accuracy of each model under each attack over a grid of eps, with the
    sanity checks of Carlini et al. (2019).

    Each attack is a template: for every model it is cloned with
    ``estimator=FrozenEstimator(model)`` (and every ``eps``), fitted on ``X`` and run
    on ``(X, y)`` with the true labels. Decision-based attacks (those with
    ``minimize``) run once per model in their minimum-distortion mode, and a row
    counts as broken at every eps at least its distortion. Pairs an attack does not
    apply to (a ``TypeError``, e.g. ``LinearSignAttack`` on an MLP) are skipped.

    Parameters
    ----------
    models : dict of str to classifier
        Fitted models, by name (a single classifier is named ``"model"``).
    attacks : dict of str to attack
        Attack templates of ``sk01loss.attacks`` (or any ``BaseAttack``), by name.
    X : array-like of shape (n_samples, n_features)
        Test points (not modified), inside the attacks' ``clip``.
    y : array-like of shape (n_samples,)
        Their true labels.
    eps : array-like of float
        The grid, each value >= 0 (in each attack's own norm: L-inf, or L2 for
        ``BoundaryAttack`` and ``HopSkipJumpAttack(constraint="l2")``).
    kinds : dict of str to str, optional
        Kind of each attack by name (``"white-box"``, ``"black-box"`` or
        ``"decision-based"``), overriding the default of its class
        (:data:`ATTACK_KINDS`); an attack of another class must be given one. A key
        that names no attack is an error.
    certify : bool, default=False
        Also add each model's certified accuracy (``certified_radius``; binary SCD01,
        MLP01 and linear models, L-inf), a lower bound that no attack confined to
        the certificate's domain may beat.
    clip : (float, float) or None, default=(0.0, 1.0)
        Domain of the certificates. The ``"certificate-violated"`` check compares
        the certified accuracy only with the attacks whose own ``clip`` lies within
        it (e.g. not an attack with ``clip=None`` against a certificate of
        ``(0, 1)``: its adversaries may lie outside the certified domain).
    time_limit : float, default=10.0
        Seconds per row of a certificate's MILP.
    tol : float, default=0.0
        How much lower than every white-box attack's accuracy a black-box or
        decision-based attack must leave it to raise the gradient-masking flag
        (and how much an accuracy may rise with eps before ``"non-monotone"``).

    Returns
    -------
    curve : SecurityCurve
        ``records`` (``table``: a DataFrame when pandas is installed), ``flags``,
        ``skipped``, ``gradient_masking`` and ``plot()``.

    Raises
    ------
    ValueError
        If ``models`` or ``attacks`` is empty, ``eps`` is not a non-empty 1-D grid
        of finite numbers >= 0, ``y`` has another length than ``X``, or a kind is
        unknown (or ``kinds`` names no attack), or ``clip`` is invalid.
    TypeError
        If an attack is not a ``BaseAttack``, or a model lacks ``predict``.

    References
    ----------
    .. [1] Carlini, Athalye, Papernot, Brendel, Rauber, Tsipras, Goodfellow, Madry
       and Kurakin, "On evaluating adversarial robustness", arXiv:1902.06705, 2019
       (Sec. 5: black-box attacks beating white-box ones, and accuracy rising with
       the distortion bound, indicate a flawed evaluation).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.svm import LinearSVC
    >>> from sk01loss.attacks import HopSkipJumpAttack, LinearSignAttack
    >>> from sk01loss.robustness import security_curve
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(0, 1, (40, 2))
    >>> y = (X.sum(axis=1) > 1).astype(int)
    >>> curve = security_curve({"svm": LinearSVC().fit(X, y)},
    ...                        {"sign": LinearSignAttack(None),
    ...                         "hsj": HopSkipJumpAttack(None, random_state=0)},
    ...                        X, y, eps=[0.0, 0.1, 0.3])
    >>> curve.gradient_masking
    False
    """
    if not isinstance(models, dict):
        models = {"model": models}
    if not models:
        raise ValueError("models is empty.")
    if not isinstance(attacks, dict) or not attacks:
        raise ValueError("attacks must be a non-empty dict of name to attack.")
    for name, attack in attacks.items():
        if not isinstance(attack, BaseAttack):
            raise TypeError(f"attacks[{name!r}] is a {type(attack).__name__}, not an attack "
                            "of sk01loss.attacks.")
    for name, model in models.items():
        if not callable(getattr(model, "predict", None)):
            raise TypeError(f"models[{name!r}] has no predict method.")
    grid = np.asarray(eps, dtype=np.float64) if not isinstance(eps, str) else None
    if grid is None or grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)) \
            or np.any(grid < 0):
        raise ValueError(f"eps must be a non-empty 1-D grid of finite numbers >= 0; got {eps!r}.")
    grid = np.sort(grid)
    X = check_array(X, dtype=[np.float64, np.float32])
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has shape {y.shape}.")
    kinds = dict(kinds or {})
    unknown = sorted(set(kinds) - set(attacks), key=str)
    if unknown:
        raise ValueError(f"kinds names no attack: {unknown!r}; the attacks are "
                         f"{list(attacks)!r}.")
    clip = check_clip(clip)
    # the attacks whose domain lies within the certificates' (the only ones a
    # certificate bounds)
    covered = set()
    for name, attack in attacks.items():
        try:
            attack_clip = check_clip(getattr(attack, "clip", None))
        except (TypeError, ValueError):
            continue
        if _within(attack_clip, clip):
            covered.add(name)
    attack_kind = {}
    for name, attack in attacks.items():
        kind = kinds.get(name, ATTACK_KINDS.get(type(attack).__name__))
        if kind not in KINDS[:3]:
            raise ValueError(f"kind of attack {name!r} must be one of {KINDS[:3]}; got "
                             f"{kind!r} (pass kinds={{{name!r}: ...}}).")
        attack_kind[name] = kind
    result = SecurityCurve()
    for model_name, model in models.items():
        for attack_name, attack in attacks.items():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    accuracies = _accuracy_at(model, attack, X, y, grid)
            except TypeError as error:
                result.skipped.append(dict(model=model_name, attack=attack_name,
                                           reason=str(error)))
                accuracies = [math.nan] * grid.size
            for e, accuracy in zip(grid, accuracies):
                result.records.append(dict(
                    model=model_name, attack=attack_name, kind=attack_kind[attack_name],
                    norm=_attack_norm(attack), eps=float(e), accuracy=accuracy))
        if certify:
            from ._certify import certified_radius
            try:
                cert = certified_radius(model, X, clip=clip, eps=float(grid[-1]),
                                        time_limit=time_limit)
            except (TypeError, ValueError) as error:
                result.skipped.append(dict(model=model_name, attack="certified",
                                           reason=str(error)))
            else:
                right = cert.prediction == y
                for e in grid:
                    result.records.append(dict(
                        model=model_name, attack="certified", kind="certified", norm="linf",
                        eps=float(e), accuracy=float(np.mean(right & cert.certified(e)))))
    result.flags = _checks(result.records, tol, covered)
    return result


def _checks(records, tol, covered=None):
    """The flags of ``records``; ``covered``: the names of the attacks a certificate
    bounds (``None``: all)."""
    flags = []
    cells = {}
    for r in records:
        if not math.isnan(r["accuracy"]):
            cells.setdefault((r["model"], r["norm"], r["eps"]), []).append(r)
    for (model, norm, e), rows in cells.items():
        white = [r for r in rows if r["kind"] == "white-box"]
        certified = [r for r in rows if r["kind"] == "certified"]
        if white:
            best_white = min(white, key=lambda r: r["accuracy"])
            for r in rows:
                if r["kind"] in ("black-box", "decision-based") and \
                        r["accuracy"] < best_white["accuracy"] - tol:
                    flags.append(dict(
                        check="gradient-masking", model=model, norm=norm, eps=e,
                        attack=r["attack"], kind=r["kind"], other_accuracy=r["accuracy"],
                        white_box_attack=best_white["attack"],
                        white_box_accuracy=best_white["accuracy"]))
        for c in certified:
            for r in rows:
                if r["kind"] == "certified" or (covered is not None
                                                and r["attack"] not in covered):
                    continue
                if r["accuracy"] < c["accuracy"] - 1e-12:
                    flags.append(dict(check="certificate-violated", model=model, norm=norm,
                                      eps=e, attack=r["attack"], kind=r["kind"],
                                      other_accuracy=r["accuracy"],
                                      certified_accuracy=c["accuracy"]))
    series = {}
    for r in records:
        if not math.isnan(r["accuracy"]):
            series.setdefault((r["model"], r["attack"]), []).append(r)
    for (model, attack), rows in series.items():
        rows = sorted(rows, key=lambda r: r["eps"])
        for before, after in zip(rows, rows[1:]):
            if after["accuracy"] > before["accuracy"] + tol:
                flags.append(dict(check="non-monotone", model=model, norm=after["norm"],
                                  eps=after["eps"], attack=attack, kind=after["kind"],
                                  other_accuracy=after["accuracy"],
                                  previous_accuracy=before["accuracy"]))
    return flags
