"""What every 0/1-loss vote ensemble shares.

Validation, label encoding, one-vs-all problems, per-vote seeds, joblib dispatch and
turning vote outputs into ``predict`` / ``decision_function`` / ``predict_proba``.
A subclass says which kernel fits a vote (``_model``), what a fitted vote is called
(``_vote_attributes``) and how a vote scores rows (``_vote_scores``).
"""

import time
import warnings
from dataclasses import fields
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._kernels import DEVICES, get_kernel, resolve_device
from ._plans import SearchParams, VotePlan, draw_entropy, vote_seeds


class BaseZeroOneEnsemble(ClassifierMixin, BaseEstimator):
    """Majority vote of independently seeded 0/1-loss solvers, one-vs-all for
    multiclass targets (spec §1.7, §1.8, §3)."""

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_coordinates": [Interval(Integral, 1, None, closed="left")],
        "step_size": [Interval(Real, 0, None, closed="neither")],
        "batch_fraction": [Interval(Real, 0, 1, closed="right")],
        "max_features": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
        ],
        "bias_window": [Interval(Integral, 1, None, closed="left")],
        "balanced_fraction": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "device": [StrOptions(set(DEVICES))],
    }

    _model = None  # kernel name, set by subclasses
    _vote_attributes = ()  # fitted attribute names of a vote's parameters

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit ``n_estimators`` votes per binary problem.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; float32 and float64 are used as given, other dtypes are
            converted to float64. Sparse matrices are not supported.
        y : array-like of shape (n_samples,)
            Target labels (any type ``numpy.unique`` can sort, e.g. strings).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "train_objective_")
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=2,
                             reset=not warm)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes, but the "
                f"data contains only one class: {classes[0]!r}."
            )
        n_done = self.train_objective_.shape[1] if warm else 0
        if warm:
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"warm_start=True needs the classes of the first fit, {self.classes_!r}; "
                    f"got {classes!r}.")
            if self.n_estimators < n_done:
                raise ValueError(
                    f"n_estimators={self.n_estimators} must be at least the {n_done} votes "
                    "already fitted when warm_start=True.")
            if self.n_estimators == n_done:
                warnings.warn(f"warm_start=True with n_estimators={n_done}, the number of "
                              "votes already fitted: no vote was added.", UserWarning)
                return self
        else:
            self._seed_entropy = draw_entropy(check_random_state(self.random_state))
        self.classes_ = classes
        if classes.size == 2:
            targets = [(y_index == 1).astype(np.int8)]
        else:
            targets = [(y_index == c).astype(np.int8) for c in range(classes.size)]
        # The kernels read columns: the data is held once, feature-major (no copy at
        # all if X is Fortran-ordered).
        XT = np.ascontiguousarray(X.T)
        del X
        # the solver settings are the estimator parameters of the same names
        params = SearchParams(**{field.name: getattr(self, field.name)
                                 for field in fields(SearchParams) if hasattr(self, field.name)})
        n_new = self.n_estimators - n_done
        seeds = vote_seeds(self._seed_entropy, len(targets), range(n_done, self.n_estimators))
        device = resolve_device(self.device)
        kernel = get_kernel(self._model, device)
        columns = kernel.describe_columns(XT)
        chunk = kernel.votes_per_call or n_new
        progress = _Progress(self, len(targets))
        # A batched kernel's host work (random draws, array launches) holds the GIL, so
        # its problems run side by side only in processes; the Numba kernels release it.
        batched = kernel.votes_per_call is None and len(targets) > 1
        chunks = Parallel(n_jobs=self.n_jobs, prefer="processes" if batched else "threads")(
            delayed(_fit_votes)(self._model, device, XT, columns, target, seeds[p][v:v + chunk],
                                params, progress, p, n_done + v)
            for p, target in enumerate(targets)
            for v in range(0, n_new, chunk)
        )
        results = [vote for votes in chunks for vote in votes]
        shape = (len(targets), n_new)
        for i, name in enumerate(self._vote_attributes + ("train_objective_",)):
            parts = [(*vote, objective)[i] for vote, objective in results]
            new_votes = np.asarray(parts).reshape(shape + np.shape(parts[0]))
            if warm:
                new_votes = np.concatenate([getattr(self, name), new_votes], axis=1)
            setattr(self, name, new_votes)
        self.n_iter_ = self.max_iter
        return self

    def _vote_counts(self, X):
        """Number of votes predicting the positive class, shape (n_problems, n_samples)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return np.array([
            np.count_nonzero(self._vote_scores(X, p) > 0, axis=1)
            for p in range(self.train_objective_.shape[0])
        ])

    def decision_function(self, X):
        """Vote margin.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Binary: fraction of votes for ``classes_[1]`` minus 0.5 (positive means
            ``classes_[1]``; a tie predicts ``classes_[0]``). Multiclass: fraction of
            the votes of each one-vs-all problem that claim the row.
        """
        fractions = self._vote_counts(X) / self.n_estimators
        if self.classes_.size == 2:
            return fractions[0] - 0.5
        return fractions.T

    def predict_proba(self, X):
        """Vote fractions as probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Binary: ``[1 - f, f]`` with ``f`` the fraction of votes for ``classes_[1]``.
            Multiclass: each class's vote count divided by the row's total count
            (uniform when no problem claims the row).
        """
        counts = self._vote_counts(X).T.astype(np.float64)
        if self.classes_.size == 2:
            fraction = counts[:, 0] / self.n_estimators
            return np.column_stack([1.0 - fraction, fraction])
        total = counts.sum(axis=1, keepdims=True)
        uniform = np.full_like(counts, 1.0 / counts.shape[1])
        return np.divide(counts, total, out=uniform, where=total > 0)

    def predict(self, X):
        """Majority vote (binary; ties go to ``classes_[0]``) or the one-vs-all problem
        with the most votes (multiclass; ties go to the first class).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        counts = self._vote_counts(X)
        if self.classes_.size == 2:
            return self.classes_[(2 * counts[0] > self.n_estimators).astype(np.intp)]
        return self.classes_[np.argmax(counts, axis=0)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def _fit_votes(model, device, XT, columns, target, seeds, params, progress, problem,
               first_vote):
    # the unit of parallel work: plain arguments, so any joblib backend can ship it
    plans = [VotePlan(seed, target, XT.shape[0], params) for seed in seeds]
    report = progress.iteration_reporter(problem, first_vote, len(plans))
    votes = get_kernel(model, device).fit_votes(XT, target, plans, params, columns, report)
    for v, (_, objective) in enumerate(votes):
        progress.vote_done(problem, first_vote + v, objective)
    return votes


class _Progress:
    """``verbose`` output: a line per finished vote (>= 1) and per 50 iterations (>= 2)."""

    def __init__(self, estimator, n_problems):
        self.name = type(estimator).__name__
        self.verbose = estimator.verbose
        self.n_problems = n_problems
        self.n_votes = estimator.n_estimators
        # a copy of this object may print from a worker process: no shared counters, and
        # a clock that all processes share
        self.start = time.time()

    def _print(self, message):
        print(f"[{self.name}] {message} ({time.time() - self.start:.1f} s)", flush=True)

    def iteration_reporter(self, problem, first_vote, n_votes):
        if self.verbose < 2:
            return None
        votes = (f"vote {first_vote + 1}" if n_votes == 1
                 else f"votes {first_vote + 1}-{first_vote + n_votes}")

        def report(iteration, objective):
            if (iteration + 1) % 50 == 0:
                self._print(f"problem {problem + 1}/{self.n_problems} {votes}: "
                            f"iteration {iteration + 1}, best objective {objective:.4f}")
        return report

    def vote_done(self, problem, vote, objective):
        if self.verbose >= 1:
            self._print(f"problem {problem + 1}/{self.n_problems} vote {vote + 1}/{self.n_votes} "
                        f"done, objective {objective:.4f}")
