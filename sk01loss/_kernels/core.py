"""What every back-end of the coordinate search shares: objective codes, the
balanced-then-plus schedule, the decoding of a candidate step, and the named results
the searches and the vote loops return.

A search ranks ``2k`` candidates per iteration, sign-major: candidate ``c < k`` is
``+step`` on ``coords[c]``, candidate ``c >= k`` is ``-step`` on ``coords[c - k]``.
"""

from collections import namedtuple

import numpy as np
import scipy.sparse as sp

#: Objective codes understood by the kernels: balanced accuracy, and balanced plus
#: plain accuracy.
BALANCED = 0
PLUS = 1

#: Bias that puts a threshold below every row of a batch (threshold index 0): this
#: far below the smallest value, as in the paper's code. In the units of the data the
#: kernels see, scaled by a power of two into [1, 2) (``sk01loss._base``).
EDGE_OFFSET = 0.01

#: One coordinate search: the current weights' best threshold index, objective and
#: bias on the batch (full scan), and the best candidate (``best_c``, -1 if every
#: candidate was skipped), its threshold index, objective and bias (in units of the
#: normalised candidate); then, if the search was asked to score the flipped
#: orientation (``-w``, rows below the threshold predicted 1), its best threshold index
#: (in ``1 .. n_b`` of the current ``w``'s sorted batch), objective and bias (a bias of
#: ``-w``), else ``-1, -inf, 0``.
SearchResult = namedtuple("SearchResult", ["t0", "obj0", "bias0", "best_c", "best_t",
                                           "best_obj", "best_bias", "flip_t", "flip_obj",
                                           "flip_bias"])

#: One fitted vote: its parameters (a tuple, ``(w, b)`` for SCD01, ``(W1, b1, w2,
#: b2)`` for MLP01), its best objective on the full training set and the number of
#: iterations it ran.
VoteResult = namedtuple("VoteResult", ["params", "objective", "n_iter"])


def column_bounds(XT, rows=None):
    """Each column's smallest and largest value, two float64 arrays of shape (d,), of
    the feature-major training data ``XT``: a dense (d, n) array, or a
    ``scipy.sparse`` CSR matrix of shape (d, n) without explicit zeros, whose
    implicit zeros count. ``rows``: a bool mask of the n rows to look at (default
    all; dense data is not copied for it)."""
    if sp.issparse(XT):
        if rows is not None:
            XT = XT[:, rows]
        counts = np.diff(XT.indptr)
        low = np.zeros(XT.shape[0])
        high = np.zeros(XT.shape[0])
        listed = np.flatnonzero(counts > 0)
        if listed.size:  # consecutive listed columns: each segment is one column's
            low[listed] = np.minimum.reduceat(XT.data, XT.indptr[listed])
            high[listed] = np.maximum.reduceat(XT.data, XT.indptr[listed])
        has_zero = counts < XT.shape[1]
        low[has_zero] = np.minimum(low[has_zero], 0.0)
        high[has_zero] = np.maximum(high[has_zero], 0.0)
        return low, high
    if rows is None:
        return XT.min(axis=1).astype(np.float64), XT.max(axis=1).astype(np.float64)
    return (XT.min(axis=1, where=rows, initial=np.inf).astype(np.float64),
            XT.max(axis=1, where=rows, initial=-np.inf).astype(np.float64))


class Schedule:
    """Which objective an iteration optimises: balanced accuracy for the first
    ``int(max_iter * balanced_fraction)`` iterations, then balanced plus plain
    accuracy. The batch search switches one iteration later than the evaluation on
    the full training set, as in the paper's code."""

    def __init__(self, params):
        self.n_balanced = int(params.max_iter * params.balanced_fraction)

    def kinds(self, it):
        """``(search_kind, eval_kind)`` of iteration ``it``."""
        return (BALANCED if it <= self.n_balanced else PLUS,
                BALANCED if it < self.n_balanced else PLUS)


def class_totals(y, weight=None):
    """``(n_pos, n_neg)``: the number of rows of each class of the 0/1 labels ``y``
    (ints), or with ``weight`` ((n,) float64) their total weights, summed in row
    order as the kernels' weighted counts are (floats)."""
    if weight is None:
        n_pos = int(y.sum())
        return n_pos, y.shape[0] - n_pos
    return (float(np.cumsum(weight * (y == 1))[-1]),
            float(np.cumsum(weight * (y == 0))[-1]))


def decode_step(c, k, step):
    """Candidate ``c`` of ``2k`` (an int, or an integer array) as ``(position in
    coords, signed step)``. ``c = -1`` (no candidate) decodes to position ``k - 1``
    and ``+step``: callers apply it only where a candidate was accepted."""
    return c % k, step * (1 - 2 * (c >= k))


class EarlyStopping:
    """When votes stop: scikit-learn's ``tol`` / ``n_iter_no_change`` on each vote's
    best objective on the full training set, for one vote or several at once.

    The balanced phase (the first ``int(max_iter * balanced_fraction)`` iterations)
    always runs in full: the rule starts with the first balanced + plain iteration,
    whose best objective is the first reference. A vote stops once its best
    objective has not risen more than ``tol`` above the reference for
    ``n_iter_no_change`` consecutive iterations; a rise of more than ``tol`` becomes
    the new reference. ``tol=None`` never stops (``max_iter`` iterations, the
    paper's protocol). A vote's stop depends only on its own trajectory, so on its
    seed and the data.

    Parameters
    ----------
    params : SearchParams
    n_votes : int
        Votes tracked together (arrays of that length; 1 for a CPU vote).
    xp : array namespace of the votes' objectives.
    """

    def __init__(self, params, n_votes=1, xp=np):
        self.tol = params.tol
        self.patience = params.n_iter_no_change
        self.start = Schedule(params).n_balanced
        self.xp = xp
        self.reference = xp.full(n_votes, -np.inf)
        self.count = xp.zeros(n_votes, dtype=np.int64)
        #: which votes run on (stopped votes stay stopped)
        self.running = xp.ones(n_votes, dtype=bool)
        #: iterations each vote ran, on the host
        self.n_iter = np.full(n_votes, params.max_iter)

    def update(self, it, best_objective):
        """Record iteration ``it``'s best objective of each vote; returns whether any
        vote runs on."""
        if self.tol is None or it < self.start:
            return True
        xp = self.xp
        risen = (best_objective > self.reference + self.tol) | (it == self.start)
        self.reference = xp.where(risen, best_objective, self.reference)
        self.count = xp.where(risen, 0, self.count + 1)
        stopping = self.running & (self.count >= self.patience)
        self.running = self.running & ~stopping
        stopping = stopping.get() if hasattr(stopping, "get") else stopping
        self.n_iter[stopping] = it + 1
        return bool(self.running.any())
