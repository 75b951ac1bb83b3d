"""Host-side randomness of one vote.

Every random draw of a vote (feature subset, initial weights, batches, coordinates,
hidden nodes) comes from a :class:`VotePlan` built from that vote's own seed. Kernels
only consume the draws, so a vote is identical on every backend and for any
``n_jobs``, and the draws of vote ``v`` do not depend on how many votes there are.
"""

from collections import namedtuple
from dataclasses import dataclass

import numpy as np

#: The draws of one SCD01 iteration: the batch (positives first) and the coordinates
#: whose candidates are ranked, in order.
SCD01Draws = namedtuple("SCD01Draws", ["batch", "coords"])

#: The draws of one MLP01 iteration: the batch, the node order of the greedy bias
#: pass (iteration 0 only; empty after), the order of the output weights' candidates,
#: the hidden node to update and its input coordinates.
MLP01Draws = namedtuple("MLP01Draws", ["batch", "node_order", "output_order", "node", "coords"])

_NO_NODES = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class SearchParams:
    """Solver settings shared by the kernels (estimator parameters, validated)."""

    max_iter: int
    step_size: float
    n_coordinates: int
    batch_fraction: float
    max_features: object
    bias_window: int
    balanced_fraction: float
    tol: object = None
    n_iter_no_change: int = 1
    n_hidden: int = 0
    output_step_size: float = 0.0
    flip_orientation: bool = False
    bias_init: str = "median"


def draw_entropy(random_state):
    """The one host draw from ``random_state`` that seeds every vote of a fit."""
    return int(random_state.randint(np.iinfo(np.int32).max))


def vote_seeds(entropy, n_problems, votes):
    """One independent ``SeedSequence`` per (problem, vote) in ``votes``; vote ``v``
    of problem ``p`` gets the same seed whichever other votes are fitted with it."""
    return [[np.random.SeedSequence(entropy, spawn_key=(p, v)) for v in votes]
            for p in range(n_problems)]


def vote_candidates(n_features, informative):
    """The features a vote draws its own from: the non-constant ones
    (``informative``), or every feature where that is None or empty."""
    if informative is None or informative.size == 0:
        return np.arange(n_features)
    return informative


def n_selected_features(max_features, n_features):
    """Features given to a vote: int = count, float = fraction (at least min(5, d))."""
    if isinstance(max_features, (int, np.integer)):
        return min(int(max_features), n_features)
    return max(min(5, n_features), int(max_features * n_features))


class VotePlan:
    """The random draws of one vote of one binary problem (those of Xue, Xie and
    Roshan 2020, Sec. II-A).

    Parameters
    ----------
    seed : numpy.random.SeedSequence
    y : (n,) int8 array of 0/1 labels.
    n_features : int
    params : SearchParams
    sample_weight : (n,) float64 array or None
        Each row's weight in the objective (``None``: every row counts 1). Batches are
        drawn from the rows of positive weight only, per class, uniformly and without
        replacement as without weights (a row of weight 0 is never drawn); the
        weights enter the objective, on the batch and on the full training data.
        The kernels read it from the plan (:attr:`sample_weight`).
    informative : (m,) int array or None
        The sorted indices of the features that are not constant on the training data
        (``None``, or empty: every feature). A vote's features (``max_features`` of
        them), its random start and its coordinate draws are among these only: a
        constant feature moves every row's projection alike, so no step on it can
        change a decision. On hashed text, where most columns are empty, this is
        what lets a search find anything.
    """

    def __init__(self, seed, y, n_features, params, sample_weight=None, informative=None):
        self._rng = np.random.default_rng(seed)
        #: each row's weight in the objective, or None (all 1)
        self.sample_weight = sample_weight
        if sample_weight is None:
            self.positives = np.flatnonzero(y == 1)
            self.negatives = np.flatnonzero(y == 0)
        else:
            counted = sample_weight > 0
            self.positives = np.flatnonzero((y == 1) & counted)
            self.negatives = np.flatnonzero((y == 0) & counted)
        self.n_batch_pos = _batch_size(self.positives.size, params.batch_fraction)
        self.n_batch_neg = _batch_size(self.negatives.size, params.batch_fraction)
        #: rows of every batch
        self.batch_size = self.n_batch_pos + self.n_batch_neg
        candidates = vote_candidates(n_features, informative)
        m_f = n_selected_features(params.max_features, candidates.size)
        if m_f < candidates.size:
            self.features = candidates[np.sort(self._rng.choice(candidates.size, m_f,
                                                                replace=False))]
        else:
            self.features = candidates
        self.n_features = n_features
        self.n_coordinates = min(params.n_coordinates, self.features.size)
        self.n_hidden = params.n_hidden

    def initial_weights(self, n_columns=None):
        """Unit-norm N(0, 1) weights on the vote's features; zeros elsewhere.

        With ``n_columns`` (hidden layer), one unit-norm column per hidden node.
        """
        shape = (self.features.size,) if n_columns is None else (self.features.size, n_columns)
        draw = self._rng.standard_normal(shape)
        draw /= np.linalg.norm(draw, axis=0)
        w = np.zeros((self.n_features,) + shape[1:])
        w[self.features] = draw
        return w

    def initial_output_weights(self, n_hidden):
        """Unit-norm N(0, 1) output weights of a hidden layer."""
        draw = self._rng.standard_normal(n_hidden)
        return draw / np.linalg.norm(draw)

    def draw_batch(self):
        """Per-class sample without replacement, from the rows of positive weight:
        positives first, then negatives."""
        return np.concatenate([
            self._rng.choice(self.positives, self.n_batch_pos, replace=False),
            self._rng.choice(self.negatives, self.n_batch_neg, replace=False),
        ])

    def draw_coordinates(self):
        """Distinct feature indices, in the order their candidates are ranked."""
        picks = self._rng.choice(self.features.size, self.n_coordinates, replace=False)
        return self.features[picks]

    def draw_iteration(self):
        """Batch and coordinates of one linear SCD iteration."""
        return self.draw_batch(), self.draw_coordinates()

    # --- each model's iteration, in the one order every back-end consumes -----------

    def scd01_draws(self):
        """:class:`SCD01Draws` of the next SCD01 iteration."""
        return SCD01Draws(*self.draw_iteration())

    def mlp01_draws(self, it):
        """:class:`MLP01Draws` of MLP01 iteration ``it`` (called for it = 0, 1, ...)."""
        batch = self.draw_batch()
        node_order = self.permutation(self.n_hidden) if it == 0 else _NO_NODES
        return MLP01Draws(batch, node_order, self.permutation(self.n_hidden),
                          self.integer(self.n_hidden), self.draw_coordinates())

    def permutation(self, n):
        """A random order of ``range(n)`` (hidden units)."""
        return self._rng.permutation(n)

    def integer(self, n):
        """A uniform draw from ``range(n)`` (the hidden unit to update)."""
        return int(self._rng.integers(n))


#: ``batch_fraction="auto"``: the bounds of the fraction of each class drawn.
AUTO_FRACTION_RANGE = (0.1, 0.75)


def auto_batch_fraction(rows_per_feature, n_features, n_rows):
    """``batch_fraction="auto"``: the fraction of each class that makes batches of
    about ``rows_per_feature`` rows per feature of a vote (``n_features`` of them)
    out of the ``n_rows`` rows batches are drawn from, within
    :data:`AUTO_FRACTION_RANGE` (the paper's 0.75 at most)."""
    low, high = AUTO_FRACTION_RANGE
    return min(high, max(low, rows_per_feature * n_features / max(n_rows, 1)))


def _batch_size(n_class, fraction):
    # the paper's max(2, floor(n * nrows)), capped by what the class has
    return min(n_class, max(2, int(n_class * fraction)))
