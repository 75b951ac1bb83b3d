"""MLP01Classifier: one hidden layer of 0/1 sign units trained on the 0/1 loss by
stochastic coordinate descent (Xue, Xie and Roshan 2020, Sec. II-B and II-C)."""

from numbers import Real

import numpy as np

from ._array_api import output_in_input_namespace
from ._base import MAX_STEP_SIZE, BaseZeroOneEnsemble
from ._kernels.scores import positive, row_chunks
from ._sklearn_compat import Count, NumberInterval, StrOptions


class MLP01Classifier(BaseZeroOneEnsemble):
    """Network with one hidden layer of sign units, trained on the 0/1 loss.

    A vote computes hidden bits ``h = (X @ W1 + b1 > 0)`` (values 0/1) and predicts
    the positive class where ``h @ w2 + b2 > 0``. Each iteration draws a batch
    (``batch_fraction`` of each class), takes a coordinate step of the output node
    over all hidden units (step ``output_step_size``), then updates one random hidden
    node: its bias from a full threshold scan through the output layer, then a step
    over ``n_coordinates`` random input coordinates (step ``step_size``) searched in a
    window of ``bias_window`` sorted positions; moves are kept only on a strict
    improvement of the batch objective (balanced accuracy for the first
    ``balanced_fraction`` of iterations, then balanced plus plain accuracy). The vote
    keeps the network that scores best on the full training set; votes are combined
    by majority, multiclass targets one-vs-all. The dual-layer 01 loss network of Xue, Xie and
    Roshan [1]_ (Sec. II-B, II-C).

    Parameters
    ----------
    n_hidden : int, default=20
        Hidden sign units per vote (the paper uses 20, and 400 for its CNN comparison).
    n_estimators : int, default=32
        Votes per binary problem, each fitted from its own seed (paper: ``round``);
        at most 2**20.
    max_iter : int, default=1000
        Iterations per vote (paper: ``num_iters``).
    n_coordinates : int, default=64
        Input coordinates tried per hidden-node step (paper: ``updated_features``).
    step_size : float, default=0.17
        Coordinate step for hidden weights (paper: ``w_inc1``).
    output_step_size : float, default=0.2
        Coordinate step for output weights (paper: ``w_inc2``).
    batch_fraction : float in (0, 1] or "auto", default="auto"
        Fraction of each class drawn per iteration (paper: ``nrows``, 0.75).
        ``"auto"``: about 24 rows per input feature of a vote (``max_features`` of
        the features that are not constant), that is ``min(0.75, max(0.1, 24 *
        n_vote_features / n_samples))``: the paper's 0.75 on data with fewer than 32
        rows per feature (CIFAR-10: 50000 rows, 3072 features), 0.29 on MNIST. Three
        times :class:`SCD01Classifier`'s rows per feature: MLP01's votes need larger
        batches. Chosen from measurements (the documentation's "Fit cost and early
        stopping").
    max_features : int or float, default=1.0
        Input features given to each vote (paper: ``nfeatures``): int = count,
        float = fraction, of the features that are not constant on the training
        data; hidden weights start and move on a vote's features only.
    bias_window : int, default=20
        Half-width of the candidates' bias window in sorted positions (``interval``).
    balanced_fraction : float, default=0.2
        Fraction of iterations on balanced accuracy before balanced + plain accuracy
        (``b_ratio``).
    tol : float or None, default=None
        Early stopping: a vote stops once its best objective on the full training
        set has not risen more than ``tol`` for ``n_iter_no_change`` consecutive
        iterations (counted from the first balanced + plain iteration; the balanced
        phase always runs in full). ``None`` runs ``max_iter`` iterations, the
        paper's protocol. Objectives are in [0, 2]: one training row more right is
        ``1 / n_samples`` of plain accuracy.
    n_iter_no_change : int, default=50
        Iterations without a rise of more than ``tol`` before a vote stops (only
        used when ``tol`` is not None).
    bias_init : {"median", "authors"}, default="median"
        How the first batch sets the biases before the first iteration. Both set the
        output bias by a full threshold scan and then visit the hidden nodes once in
        random order, moving a node's bias to its best full-scan threshold (through
        the output) where that strictly improves the batch objective. ``"median"``
        starts every hidden bias at minus the median of the node's batch
        projections (the supplement's "median projection" [1]_) and keeps it where
        the scan does not improve. ``"authors"`` is the authors' code: biases start
        at *plus* the mean projection (so most nodes start on, or off, for almost
        every row) and a node whose scan does not improve gets bias 0. On single
        votes ``"authors"`` generalises better on breast cancer (test accuracy
        94.0 % against 92.8 %, 30 seeds) and equally on digits 3 vs 8 and on
        MNIST's one-vs-all single run (88.1 % against 88.0 %); see the "Single
        votes" section of the results. Not the default while the 32-vote MNIST
        ensemble of Table I has not been measured with it in full.
    random_state : int, RandomState instance or None, default=None
        Seeds every vote; the fitted model is identical for any ``n_jobs``.
    n_jobs : int, default=None
        Votes and one-vs-all problems run in parallel with joblib: threads by
        default, one process per problem for a one-vs-all fit on the GPU (whose
        host work holds the GIL); any joblib backend via ``joblib.parallel_config``.
    verbose : int, default=0
        1 reports every finished vote, 2 also every 50 iterations.
    warm_start : bool, default=False
        Keep the votes of the previous call to ``fit`` and fit only the votes up to
        ``n_estimators`` that are missing, on the same classes. A vote gets the same
        seed as in a single fit with all votes, so growing an ensemble in steps (and
        saving it between them) gives the same model as fitting it at once, provided
        the data and the other parameters stay the same.
    device : {"cpu", "cuda", "numpy", "auto"}, default="cpu"
        Where the coordinate search runs: ``"cpu"`` (Numba kernel, votes in
        parallel over ``n_jobs``), ``"cuda"`` (CuPy: all votes of a problem as one
        batched computation on the GPU; needs ``pip install 'sk01loss[gpu]'``),
        ``"numpy"`` (that batched computation on NumPy: slow, to check a GPU fit on
        a machine without one) or ``"auto"`` (CUDA when CuPy and a GPU are usable,
        else CPU). The random draws are the same on every device, and the fitted
        attributes are NumPy arrays, so a model fitted on a GPU pickles and
        predicts anywhere.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, scikit-learn's ``class_weight``: a dict ``{label:
        weight}`` (missing classes weigh 1), ``"balanced"`` (weights
        ``n_samples / (n_classes * np.bincount(y))``, from the counts of ``y``
        whatever ``sample_weight``) or ``None`` (all 1). Each row's weight is its
        class's weight times its ``sample_weight`` (see :meth:`fit`). The objective
        already balances the classes of each binary problem (balanced accuracy,
        then balanced plus plain accuracy): class weights rescale each class's
        part of the plain accuracy (and, for one-vs-all, the classes pooled into
        the negative side), while the balanced accuracy of a binary problem is the
        same for any class weights (each class's accuracy is a ratio within the
        class). ``"balanced"`` therefore turns the plain-accuracy half of the
        objective into balanced accuracy too.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    hidden_coef_ : ndarray of shape (n_problems, n_estimators, n_features, n_hidden)
        Hidden weights of every vote (unit-norm columns). ``n_problems`` is 1 for
        binary targets (votes for ``classes_[1]``), else ``n_classes``.
    hidden_intercept_ : ndarray of shape (n_problems, n_estimators, n_hidden)
        Hidden biases: a unit is on where ``X @ W1 + b1 > 0``.
    coef_ : ndarray of shape (n_problems, n_estimators, n_hidden)
        Output weights of every vote (unit norm).
    intercept_ : ndarray of shape (n_problems, n_estimators)
        Output bias of every vote.
    train_objective_ : ndarray of shape (n_problems, n_estimators)
        Each vote's best objective on the full training set.
    n_iter_ : ndarray of shape (n_problems, n_estimators)
        Iterations each vote ran: ``max_iter``, or fewer where ``tol`` stopped it.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string feature names.

    Notes
    -----
    The paper's code initialises the hidden biases at *plus* the mean projection
    and resets a bias to 0 when the greedy per-node scan does not improve it
    (``bias_init="authors"``); by default this class uses minus the median (the
    midpoint between the two middle projections of the first batch) and keeps it (a
    choice of sk01loss). Hidden units take
    values in {0, 1} as in the authors' code (the paper's Eq. 2 writes {-1, +1}).

    References
    ----------
    .. [1] Y. Xue, M. Xie and U. Roshan, "On the transferability of adversarial
       examples between convex and 01 loss models", arXiv preprint, 2020.

    Examples
    --------
    >>> from sklearn.datasets import make_circles
    >>> from sk01loss import MLP01Classifier
    >>> X, y = make_circles(300, factor=0.5, noise=0.05, random_state=0)
    >>> clf = MLP01Classifier(n_hidden=8, n_estimators=3, max_iter=300, random_state=0)
    >>> bool(clf.fit(X, y).score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        **BaseZeroOneEnsemble._parameter_constraints,
        "n_hidden": [Count(1)],
        "output_step_size": [NumberInterval(Real, 0, MAX_STEP_SIZE, closed="right")],
        "bias_init": [StrOptions({"median", "authors"})],
    }
    _model = "mlp01"
    #: ``batch_fraction="auto"``: batches of about this many rows per input feature of
    #: a vote (three times SCD01's: a vote fits ``n_hidden`` such hyperplanes at once)
    _auto_rows_per_feature = 24
    _vote_attributes = ("hidden_coef_", "hidden_intercept_", "coef_", "intercept_")
    _bias_attributes = ("hidden_intercept_",)

    def __init__(
        self,
        n_hidden=20,
        n_estimators=32,
        max_iter=1000,
        n_coordinates=64,
        step_size=0.17,
        output_step_size=0.2,
        batch_fraction="auto",
        max_features=1.0,
        bias_window=20,
        balanced_fraction=0.2,
        tol=None,
        n_iter_no_change=50,
        bias_init="median",
        random_state=None,
        n_jobs=None,
        verbose=0,
        warm_start=False,
        device="cpu",
        class_weight=None,
    ):
        self.n_hidden = n_hidden
        self.n_estimators = n_estimators
        self.max_iter = max_iter
        self.n_coordinates = n_coordinates
        self.step_size = step_size
        self.output_step_size = output_step_size
        self.batch_fraction = batch_fraction
        self.max_features = max_features
        self.bias_window = bias_window
        self.balanced_fraction = balanced_fraction
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.bias_init = bias_init
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.warm_start = warm_start
        self.device = device
        self.class_weight = class_weight

    def _prediction_units(self, votes):
        n_problems, _, n_features, n_hidden = self.hidden_coef_.shape
        hidden = self.hidden_coef_[:, votes]  # (problems, votes, features, hidden)
        W = np.ascontiguousarray(hidden.transpose(2, 0, 1, 3).reshape(n_features, -1))
        return (W, self.hidden_intercept_[:, votes].reshape(-1),
                self.coef_[:, votes].reshape(-1, n_hidden), self.intercept_[:, votes].reshape(-1))

    def _hidden_bits(self, X, units):
        W, b = units[:2]
        return positive(X, W, b, np.empty((X.shape[0], W.shape[1]), dtype=np.bool_))

    def _positive_votes(self, X, units):
        w2, b2 = units[2:]
        hidden = self._hidden_bits(X, units).reshape(X.shape[0], w2.shape[0], w2.shape[1])
        out = np.zeros((X.shape[0], w2.shape[0]))
        for h in range(w2.shape[1]):
            # summed unit by unit, like the kernel: equal hidden bits give equal scores
            out += hidden[:, :, h] * w2[:, h]
        return out + b2 > 0

    @output_in_input_namespace
    def hidden_activations(self, X):
        """Hidden bits of every vote.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        hidden : ndarray of bool, shape (n_problems, n_votes, n_samples, n_hidden)
            ``X @ hidden_coef_[p, v] + hidden_intercept_[p, v] > 0``, for the
            ``n_votes`` votes fitted per problem; a row's bits depend on that row
            alone.
        """
        X = self._validate_X(X)
        n_problems, n_votes, _, n_hidden = self.hidden_coef_.shape
        units = self._prediction_units(np.arange(n_votes))
        hidden = np.empty((X.shape[0], n_problems, n_votes, n_hidden), dtype=np.bool_)
        for rows, chunk in row_chunks(X, units[0].shape[1]):
            hidden[rows] = self._hidden_bits(chunk, units).reshape(
                -1, n_problems, n_votes, n_hidden)
        return hidden.transpose(1, 2, 0, 3)
