"""What every 0/1-loss vote ensemble shares.

Validation, label encoding, one-vs-all problems, per-vote seeds, joblib dispatch and
turning vote outputs into ``predict`` / ``decision_function`` / ``predict_proba``.
A subclass says which kernel fits a vote (``_model``), what a fitted vote is called
(``_vote_attributes``, of which ``_bias_attributes`` are in the units of ``X``) and
which side of their boundaries rows fall (``_prediction_units``, ``_positive_votes``).
"""

import copy
import math
import time
import warnings
from dataclasses import fields
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._array_api import fit_on_numpy, output_in_input_namespace
from ._kernels import DEVICES, get_kernel, resolve_device
from ._kernels.core import column_bounds
from ._kernels.scores import row_chunks
from ._plans import (SearchParams, VotePlan, auto_batch_fraction, draw_entropy,
                     n_selected_features, vote_candidates, vote_seeds)
from ._sklearn_compat import (Count, NumberInterval, StrOptions, _check_sample_weight,
                              _fit_context)
from ._version import __version__

#: The largest coordinate step: larger steps make every candidate almost a unit
#: vector of its own coordinate, and their squares approach float64's range.
MAX_STEP_SIZE = 1e6

#: The most votes per problem: their seeds are drawn before anything runs, and a
#: count near the int64 limit would never finish drawing them.
MAX_VOTES = 1 << 20

#: Integer and float dtypes that float32 holds exactly (uint8 images, ...): the
#: training data is kept in float32 for them, in float64 otherwise.
_EXACT_IN_FLOAT32 = tuple(np.dtype(t) for t in (
    np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.float16, np.float32))


class InconsistentVersionWarning(UserWarning):
    """A model saved by one version of sk01loss was loaded by another.

    Fitted models are not guaranteed to load, or to predict alike, across versions
    (the kernels and their random streams may change; see the changelog). Refit the
    model with the installed version, or install the version that saved it.

    Attributes
    ----------
    estimator_name : str
    original_version : str or None
        The version that saved the model (``None``: saved before versions were recorded).
    current_version : str
    """

    def __init__(self, estimator_name, original_version):
        self.estimator_name = estimator_name
        self.original_version = original_version
        self.current_version = __version__
        saved = ("a version that did not record itself" if original_version is None
                 else f"version {original_version}")
        super().__init__(
            f"This {estimator_name} was saved by sk01loss {saved} and is loaded by "
            f"sk01loss {__version__}; it may not load or predict alike. Refit it with "
            f"{__version__}, or install the version that saved it.")


class BaseZeroOneEnsemble(ClassifierMixin, BaseEstimator):
    """Majority vote of independently seeded 0/1-loss solvers, one-vs-all for
    multiclass targets.

    The vote ensemble and the one-vs-all reduction of Xue, Xie and Roshan,
    "On the transferability of adversarial examples between convex and 01 loss
    models" (2020), Sec. II-C and III-A."""

    _parameter_constraints = {
        "n_estimators": [Count(1, MAX_VOTES)],
        "max_iter": [Count(1)],
        "n_coordinates": [Count(1)],
        "step_size": [NumberInterval(Real, 0, MAX_STEP_SIZE, closed="right")],
        "batch_fraction": [NumberInterval(Real, 0, 1, closed="right"), StrOptions({"auto"})],
        "max_features": [Count(1), NumberInterval(Real, 0, 1, closed="right")],
        "bias_window": [Count(1)],
        "balanced_fraction": [NumberInterval(Real, 0, 1, closed="both")],
        "tol": [NumberInterval(Real, 0, None, closed="left"), None],
        "n_iter_no_change": [Count(1)],
        "random_state": ["random_state"],
        "n_jobs": [Count(1), Count(None, -1), None],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "device": [StrOptions(set(DEVICES))],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    _model = None  # kernel name, set by subclasses
    _vote_attributes = ()  # fitted attribute names of a vote's parameters
    _bias_attributes = ()  # those of them in the units of X

    @_fit_context(prefer_skip_nested_validation=True)
    @fit_on_numpy
    def fit(self, X, y, sample_weight=None):
        """Fit ``n_estimators`` votes per binary problem.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, any real dtype and any finite magnitude. It is held once,
            feature-major: in float32 for float32 data and for integer and boolean
            dtypes float32 holds exactly (uint8 images, ...), else in float64.
            ``scipy.sparse`` matrices and arrays (CSR, CSC, COO, ...) are fitted
            without densifying: one CSC copy of the non-zeros (12-16 bytes each)
            is held, and each vote in flight holds O(n_samples) besides; they give
            the same model as the dense array of the same values. Sparse data is
            fitted on the CPU (``device="auto"`` chooses it; ``"cuda"`` and
            ``"numpy"`` raise a ValueError).
        y : array-like of shape (n_samples,)
            Target labels (any type ``numpy.unique`` can sort, e.g. strings).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative, finite weight of each row in the objective (``None``: every
            row weighs 1), multiplied by the weights of ``class_weight``. Every
            accuracy of the objective becomes a weighted accuracy (on each batch and
            on the full training data); a row of weight 0 is left out of the objective
            and never drawn into a batch. Batches are drawn as without weights: per
            class, uniformly without replacement among the rows of positive weight
            (``batch_fraction`` of their number). Equal weights (any ``c > 0``) fit
            exactly the model of no weights, and integer weights count a row as that
            many copies of it in every objective. Every ``device`` fits weights; the
            batched back-ends (``"numpy"``, ``"cuda"``) add them in other orders than
            the CPU, so they fit the CPU's model where the sums are exact (integer
            weights) and may take other paths where they round.

        Returns
        -------
        self : object
            Fitted estimator.

        Raises
        ------
        ValueError
            If ``X`` holds NaN or infinity, has fewer than 2 rows or is too large or
            too small in magnitude for the fitted biases to be represented exactly
            in float64 (about 1e307, or 1e-292 and below), if ``y`` holds fewer than
            2 classes, if ``sample_weight`` has the wrong shape, holds a negative,
            NaN or infinite value, or leaves a class with no positive weight (with
            ``class_weight`` applied), or if a parameter is out of its range.
        TypeError
            If a parameter has the wrong type (a bool where a count is expected).
        """
        warm = self.warm_start and hasattr(self, "train_objective_")
        X_in, y = validate_data(self, X, y, dtype="numeric", ensure_min_samples=2,
                                accept_sparse=("csc", "csr", "coo"), reset=not warm)
        check_classification_targets(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes, but the "
                f"data contains only one class: {classes[0]!r}."
            )
        sample_weight = _fit_weights(sample_weight, self.class_weight, X_in, y, classes,
                                     y_index)
        n_estimators = int(self.n_estimators)
        n_done = self._n_votes() if warm else 0
        if warm:
            if not np.array_equal(classes, self.classes_):
                raise ValueError(
                    f"warm_start=True needs the classes of the first fit, {self.classes_!r}; "
                    f"got {classes!r}.")
            if n_estimators < n_done:
                raise ValueError(
                    f"n_estimators={n_estimators} must be at least the {n_done} votes "
                    "already fitted when warm_start=True.")
            if n_estimators == n_done:
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
        sparse = sp.issparse(X_in)
        device = self.device
        if sparse and device != "cpu":
            if device != "auto":
                raise ValueError(f"device={device!r} cannot fit sparse X: sparse data is "
                                 "fitted on the CPU. Use device='cpu' (or 'auto'), or pass "
                                 "X.toarray() if it fits in memory.")
            device = "cpu"
        device = resolve_device(device)
        XT, exponent = _feature_major(X_in)
        del X, X_in
        n_new = n_estimators - n_done
        seeds = vote_seeds(self._seed_entropy, len(targets), range(n_done, n_estimators))
        kernel = get_kernel(self._model, device)
        columns = tuple(kernel.describe_columns(XT))
        informative = _informative_features(XT, sample_weight)
        params = self._search_params(
            y.shape[0], vote_candidates(XT.shape[0], informative).size,
            y.shape[0] if sample_weight is None else int(np.count_nonzero(sample_weight > 0)))
        if sparse:  # the kernels read sparse data from its column lists only
            XT = np.empty((XT.shape[0], 0), dtype=XT.dtype)
        chunk = _votes_per_task(kernel.votes_per_call, len(targets), n_new, self.n_jobs)
        progress = _Progress(self, len(targets))
        # one problem of a batched kernel is one task: threads spare shipping the data
        prefer = kernel.prefer if len(targets) > 1 else "threads"
        chunks = Parallel(n_jobs=self.n_jobs, prefer=prefer)(
            delayed(_fit_votes)(self._model, device, XT, target, seeds[p][v:v + chunk],
                                params, progress, p, n_done + v, sample_weight, informative,
                                *columns)
            for p, target in enumerate(targets)
            for v in range(0, n_new, chunk)
        )
        results = [vote for votes in chunks for vote in votes]
        shape = (len(targets), n_new)
        fitted = {}
        for i, name in enumerate(self._per_vote_attributes()):
            parts = [(*result.params, result.objective, result.n_iter)[i] for result in results]
            fitted[name] = np.asarray(parts).reshape(shape + np.shape(parts[0]))
        # the kernels saw X * 2**-exponent: biases back to the units of X
        for name in self._bias_attributes:
            with np.errstate(over="ignore", under="ignore"):
                biases = np.ldexp(fitted[name], exponent)
                exact = np.array_equal(np.ldexp(biases, -exponent), fitted[name])
            if not exact:  # overflow to inf, or underflow into subnormals (lost bits)
                raise ValueError(
                    f"X is too {'large' if exponent > 0 else 'small'} in magnitude "
                    f"(largest |value| about 2**{exponent}) for the fitted biases to be "
                    "represented exactly in float64: scale X (e.g. with "
                    "sklearn.preprocessing.MaxAbsScaler) and fit again.")
            fitted[name] = biases
        for name, new_votes in fitted.items():
            if warm:
                new_votes = np.concatenate([getattr(self, name), new_votes], axis=1)
            setattr(self, name, new_votes)
        return self

    def _search_params(self, n_samples, n_candidates, n_drawable):
        """The solver settings: the estimator parameters of the same names, as plain
        Python numbers (any NumPy scalar type is accepted) or strings, with the bias
        window capped at the number of rows (wider windows search the same
        thresholds) and ``batch_fraction="auto"`` resolved: about
        ``_auto_rows_per_feature`` rows per feature of a vote (``max_features`` of
        the ``n_candidates`` features votes draw theirs from) out of the
        ``n_drawable`` rows of positive weight."""
        values = {}
        for field in fields(SearchParams):
            if hasattr(self, field.name):
                value = getattr(self, field.name)
                if isinstance(value, str):
                    value = str(value)
                elif value is not None:
                    value = int(value) if isinstance(value, Integral) else float(value)
                values[field.name] = value
        values["bias_window"] = min(values["bias_window"], n_samples)
        if values["batch_fraction"] == "auto":
            values["batch_fraction"] = auto_batch_fraction(
                self._auto_rows_per_feature,
                n_selected_features(values["max_features"], n_candidates), n_drawable)
        return SearchParams(**values)

    # --- prediction: every method, and the attacks, go through _vote_counts ----------

    def _per_vote_attributes(self):
        """Fitted attributes with one entry per (problem, vote)."""
        return self._vote_attributes + ("train_objective_", "n_iter_")

    def _n_votes(self):
        """Votes per problem of the fitted model (``n_estimators`` may have been
        changed since the fit)."""
        return self.train_objective_.shape[1]

    def _validate_X(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype="numeric", accept_sparse="csr", reset=False)

    def _vote_counts(self, X, votes=None):
        """Positive votes per problem among ``votes`` (indices, default all), shape
        (n_problems, n_samples), for validated ``X``. Each row's count depends on that
        row alone, and ``X`` is read in chunks of rows (``scores.CHUNK_BYTES``)."""
        votes = np.arange(self._n_votes()) if votes is None else np.asarray(votes)
        units = self._prediction_units(votes)
        n_problems = self.train_objective_.shape[0]
        counts = np.empty((n_problems, X.shape[0]), dtype=np.intp)
        for rows, chunk in row_chunks(X, units[0].shape[1]):
            positive = self._positive_votes(chunk, units)  # (rows, problems, votes)
            counts[:, rows] = positive.reshape(chunk.shape[0], n_problems, votes.size).sum(2).T
        return counts

    def _predict_index(self, X, votes=None):
        """Index into ``classes_`` of the label the votes ``votes`` (default all)
        predict for validated ``X``: binary majority (ties to ``classes_[0]``), else
        the one-vs-all problem with the most votes (ties to the first class)."""
        n_votes = self._n_votes() if votes is None else len(votes)
        counts = self._vote_counts(X, votes)
        if counts.shape[0] == 1:
            return (2 * counts[0] > n_votes).astype(np.intp)
        return np.argmax(counts, axis=0)

    def select_votes(self, votes):
        """The fitted ensemble made of some of the votes of every problem.

        Parameters
        ----------
        votes : int or sequence of int
            Vote indices in ``range(n_votes)``, each at most once, where ``n_votes``
            is the number of votes fitted per problem; an int ``k`` selects the
            first ``k`` votes.
            ``select_votes([0])`` is the single-run model (the model
            ``n_estimators=1`` fits with the same ``random_state``).

        Returns
        -------
        ensemble : estimator
            A copy with the selected votes' fitted attributes and ``n_estimators``
            set to their number; ``self`` is left unchanged.

        Raises
        ------
        ValueError
            If no vote is selected, or an index is out of range or repeated.
        TypeError
            If ``votes`` is neither an int nor a sequence of ints.
        """
        check_is_fitted(self)
        n_votes = self._n_votes()
        if _is_int(votes):
            if not 1 <= votes <= n_votes:
                raise ValueError(f"votes={votes!r}: the model has {n_votes} votes per "
                                 f"problem; pass a count in [1, {n_votes}].")
            votes = range(int(votes))
        items = list(votes) if np.iterable(votes) and not isinstance(votes, str) else None
        if items is None or not all(_is_int(v) for v in items):
            raise TypeError(f"votes must be an int or a sequence of ints; got {votes!r}.")
        # compared as Python ints, so an index too large for any integer dtype is
        # out of range like any other
        if not items or min(items) < 0 or max(items) >= n_votes:
            raise ValueError(f"votes={votes!r} must be a non-empty sequence of vote "
                             f"indices in range({n_votes}).")
        index = np.asarray(items, dtype=np.intp)
        if np.unique(index).size != index.size:
            raise ValueError(f"votes={votes!r} repeats a vote; each vote can be selected "
                             "once.")
        part = copy.copy(self)
        for name in self._per_vote_attributes():
            setattr(part, name, getattr(self, name)[:, index].copy())
        part.n_estimators = int(index.size)
        return part

    @output_in_input_namespace
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
        fractions = self._vote_counts(self._validate_X(X)) / self._n_votes()
        if self.classes_.size == 2:
            return fractions[0] - 0.5
        return fractions.T

    @output_in_input_namespace
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
        counts = self._vote_counts(self._validate_X(X)).T.astype(np.float64)
        if self.classes_.size == 2:
            fraction = counts[:, 0] / self._n_votes()
            return np.column_stack([1.0 - fraction, fraction])
        total = counts.sum(axis=1, keepdims=True)
        uniform = np.full_like(counts, 1.0 / counts.shape[1])
        return np.divide(counts, total, out=uniform, where=total > 0)

    @output_in_input_namespace
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``; ``-inf`` where no vote claims a class.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @output_in_input_namespace
    def predict(self, X):
        """Majority vote (binary; ties go to ``classes_[0]``) or the one-vs-all problem
        with the most votes (multiclass; ties go to the first class).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            A row's label depends on that row alone (not on the other rows passed).
        """
        index = self._predict_index(self._validate_X(X))
        return self.classes_[index]

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: pickling must not change self
        state["_sk01loss_version"] = __version__
        return state

    def __setstate__(self, state):
        state = dict(state)
        saved = state.pop("_sk01loss_version", None)
        if saved != __version__:
            warnings.warn(InconsistentVersionWarning(type(self).__name__, saved), stacklevel=2)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _feature_major(X):
    """The training data once, feature-major, and the power of two it was scaled by.

    Returns ``(XT, exponent)``: ``XT`` (n_features, n_samples) C-contiguous (for
    sparse ``X``, a ``scipy.sparse`` CSR matrix with sorted indices and no explicit
    zeros: ``X``'s CSC form, transposed) is ``X.T * 2**-exponent``, whose largest
    absolute value lies in [1, 2) (data already
    there, such as images in [0, 1], keeps exponent 0). Scaling by a power of two is
    exact, so the kernels see the same numbers for ``X`` and ``X * 2**k``, their
    arithmetic cannot overflow, and their constants (the edge offset of a threshold
    below every row) do not depend on the units of ``X``. Float32, and the integer
    dtypes it holds exactly, stay in float32; the input is never modified.
    """
    dtype = np.float32 if X.dtype in _EXACT_IN_FLOAT32 else np.float64
    if sp.issparse(X):
        XT = sp.csr_matrix(X.T, dtype=dtype, copy=True)  # copy: X is never modified
        XT.sum_duplicates()  # also sorts the indices
        largest = float(np.abs(XT.data).max()) if XT.nnz else 0.0
        exponent = math.frexp(largest)[1] - 1 if largest > 0 else 0
        if exponent != 0:
            np.ldexp(XT.data, -exponent, out=XT.data)
        XT.eliminate_zeros()  # with values the scaling took to 0, as in the dense copy
        return XT, exponent
    if X.dtype == dtype and X.flags.f_contiguous:
        XF = X  # no copy
    else:
        # one copy, made in blocks of rows: a transposing copy of the whole array at
        # once walks memory with a large stride and is 3 times slower (MNIST: 0.29 s)
        XT = np.empty(X.shape[::-1], dtype=dtype)
        step = max(1, (1 << 20) // max(1, X.shape[1] * X.itemsize))
        for start in range(0, X.shape[0], step):
            XT[:, start:start + step] = X[start:start + step].T
        XF = XT.T
    largest = max(float(XF.max()), -float(XF.min()))
    exponent = math.frexp(largest)[1] - 1 if largest > 0 else 0
    if exponent != 0:
        if np.may_share_memory(XF, X):
            XF = np.ldexp(XF, -exponent, order="F")
        else:
            np.ldexp(XF, -exponent, out=XF)
    return XF.T, exponent


def _informative_features(XT, sample_weight=None):
    """Sorted indices of the features that are not constant on the training data
    ``XT`` (dense (d, n), or the CSR matrix of :func:`_feature_major`), over the rows
    that count (``sample_weight > 0``: a row of weight 0 changes nothing)."""
    counted = None if sample_weight is None else sample_weight > 0
    if counted is not None and counted.all():
        counted = None
    low, high = column_bounds(XT, counted)
    return np.flatnonzero(low != high)


def _is_int(value):
    """An integer (Python or NumPy), not a bool."""
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def _fit_weights(sample_weight, class_weight, X, y, classes, y_index):
    """Each row's weight in the objective from ``sample_weight`` and ``class_weight``
    (their product, with scikit-learn's meaning of each), validated; ``None`` where
    every row weighs the same (the unweighted fit, exactly).

    Otherwise a new float64 array (the inputs are never modified), scaled by the
    power of two that brings its largest value into [1, 2): exact, so the objective's
    ratios are those of the given weights, integer weights stay integers (times a
    power of two, their sums exact) and sums cannot overflow. Equal positive weights
    besides zeros become exactly 1.
    """
    if sample_weight is None and class_weight is None:
        return None
    weight = _check_sample_weight(sample_weight, X, dtype=np.float64, copy=True)
    if (weight < 0).any():
        raise ValueError(
            f"sample_weight holds negative values (the smallest is {float(weight.min())!r}); "
            "weights must be non-negative (0 leaves a row out).")
    if class_weight is not None:
        per_class = compute_sample_weight(class_weight, y)
        if not np.isfinite(per_class).all() or (per_class < 0).any():
            raise ValueError(
                f"class_weight={class_weight!r} gives negative or non-finite row weights; "
                "pass finite non-negative class weights.")
        with np.errstate(over="ignore"):
            product = weight * per_class
        if not np.isfinite(product).all():
            raise ValueError(
                f"sample_weight times class_weight={class_weight!r} overflows float64 "
                f"(the largest sample weight is {float(weight.max())!r}); scale "
                "sample_weight down: only the ratios between weights matter.")
        weight = product
    by_class = np.bincount(y_index, weights=weight, minlength=classes.size)
    if not (by_class > 0).all():
        empty = classes.tolist()[np.flatnonzero(~(by_class > 0))[0]]
        raise ValueError(
            f"sample_weight (times class_weight) leaves class {empty!r} with no positive "
            "weight: every class needs a row of positive weight. Drop the class from y, "
            "or give some of its rows a positive weight.")
    counted = weight > 0
    largest = float(weight.max())
    if float(weight[counted].min()) == largest:  # equal weights: the unweighted model
        return None if counted.all() else counted.astype(np.float64)
    exponent = math.frexp(largest)[1] - 1
    scaled = np.ldexp(weight, -exponent)
    if not np.array_equal(np.ldexp(scaled, exponent), weight):
        raise ValueError(
            "sample_weight (times class_weight) spans too wide a range (a ratio of about "
            "2**1000 or more between its largest and smallest positive values) to be "
            "held exactly in float64: set the smallest weights to 0 or clip them.")
    return scaled


def _votes_per_task(votes_per_call, n_problems, n_votes, n_jobs):
    """Votes of one problem per joblib task: all of them for a batched kernel
    (``votes_per_call`` None), else at most ``votes_per_call``, and with several
    workers few enough that each gets about four tasks. The votes are the same
    however they are cut."""
    if votes_per_call is None:
        return n_votes
    workers = effective_n_jobs(n_jobs)
    spread = n_votes if workers == 1 else n_problems * n_votes // (4 * workers)
    return max(1, min(votes_per_call, spread))


def _fit_votes(model, device, XT, target, seeds, params, progress, problem, first_vote,
               sample_weight, informative, *columns):
    # The unit of parallel work: plain arguments, every large one a top-level array
    # (the data, the target, the row weights, the arrays of the column summary), which
    # joblib's Dask backend scatters once instead of sending it with every task.
    plans = [VotePlan(seed, target, XT.shape[0], params, sample_weight, informative)
             for seed in seeds]
    report = progress.iteration_reporter(problem, first_vote, len(plans))
    votes = get_kernel(model, device).fit_votes(XT, target, plans, params, columns, report)
    for v, result in enumerate(votes):
        progress.vote_done(problem, first_vote + v, result.objective)
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
