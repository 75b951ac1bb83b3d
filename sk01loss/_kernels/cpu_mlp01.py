"""MLP01's vote loop on the CPU: one hidden layer of 0/1 sign units, trained on the
0/1 loss by stochastic coordinate descent with the Numba search steps (Xue, Xie
and Roshan 2020, Sec. II-B).

State kept for all ``n`` training rows and updated in O(n) per change:
``A = W1.T @ X.T`` (hidden pre-activations without bias, ``(H, n)``), the hidden bits
``S = A + b1 > 0`` (also packed 64 to a word, ``bits``) and the output scores
``z = w2 @ S``. Both steps of an iteration are the linear coordinate search of
``cpu_search.search_step``:

* the output node is a linear model on the hidden bits (``XT = S``, ``P = z``),
  searched by its specialisation to 0/1 data, ``cpu_search.bit_search_step``; its
  batch is sorted afresh each time (``z`` takes few distinct values, whose long runs
  of ties a kept order of the rows would have to sort by batch position anyway);
* a hidden node ``h`` is a linear model on the data whose "above the threshold"
  means *node on*; each row's network output with the node off and on is fixed by
  the other nodes, which turns the objective into the same prefix sums.
"""

import numpy as np

from . import _threshold as th
from ._jit import jit as _jit
from .core import EarlyStopping, Schedule, VoteResult, class_totals, decode_step
from .cpu_search import (NOT_RANKED, UNWEIGHTED, Columns, apply_move, bit_search_step,
                         move_weights, pack_bits, projection, search_step, sums_are_exact,
                         vote_ranking)

_NO_COORDINATES = np.empty(0, dtype=np.int64)


@_jit
def set_node(A_row, bias, S_row, z, weight):
    """Hidden bits of one node from its pre-activations, and ``z`` updated to match."""
    for i in range(A_row.shape[0]):
        bit = 1.0 if A_row[i] + bias > 0 else 0.0
        if bit != S_row[i]:
            z[i] += weight * (bit - S_row[i])
            S_row[i] = bit


@_jit
def set_node_exact(A_row, bias, S, bits, h, z, w2):
    """Hidden bits of node ``h`` (``S`` and its packing ``bits``); ``z`` of the rows
    whose bit changed summed again in unit order (what :func:`output_scores` would
    give, without touching the other rows)."""
    S_row = S[h]
    word = bits[h >> 6]
    flag = np.uint64(1) << np.uint64(h & 63)
    one = np.uint64(1)
    for i in range(A_row.shape[0]):
        bit = 1.0 if A_row[i] + bias > 0 else 0.0
        if bit != S_row[i]:
            S_row[i] = bit
            word[i] ^= flag
            total = 0.0
            for u in range(w2.shape[0]):
                total += np.float64((bits[u >> 6, i] >> np.uint64(u & 63)) & one) * w2[u]
            z[i] = total


@_jit
def batch_mean(A_row, batch):
    """Mean of ``A_row`` over the rows of ``batch``, summed in batch order."""
    total = 0.0
    for i in range(batch.shape[0]):
        total += A_row[batch[i]]
    return total / batch.shape[0]


@_jit
def output_scores(bits, w2, z):
    """``z = w2 @ S`` summed in unit order, so rows with the same hidden bits get
    bit-identical scores (as at prediction time, whatever the batch of rows); read
    from the packed bits (``cpu_search.pack_bits``), each product ``S[h, i] * w2[h]``
    the same number."""
    z[:] = 0.0
    one = np.uint64(1)
    for h in range(w2.shape[0]):
        word = bits[h >> 6]
        bit = np.uint64(h & 63)
        for i in range(z.shape[0]):
            z[i] += np.float64((word[i] >> bit) & one) * w2[h]


@_jit
def node_outputs(z, S_row, weight, b2, off, on):
    """Network output of every row with one node forced off and on."""
    for i in range(z.shape[0]):
        others = z[i] - weight * S_row[i] + b2
        off[i] = 1 if others > 0 else 0
        on[i] = 1 if others + weight > 0 else 0


class Network:
    """One vote's parameters with the per-row state of the module docstring.

    Parameters
    ----------
    XT : (d, n) float array, training data feature-major (``(d, 0)`` for sparse data).
    columns : :class:`Columns` of the training data.
    n : int, training rows.
    W1 : (d, H) hidden weights (unit-norm columns); b1 : (H,); w2 : (H,) unit norm; b2 : float.
    weight : (n,) float64, each row's weight in the objectives of the searches, or
        ``cpu_search.UNWEIGHTED``.
    n_batch : int, rows of each batch (default ``n``): whether each node keeps its rows
        in order (``cpu_search.vote_ranking``).
    """

    def __init__(self, XT, columns, n, W1, b1, w2, b2, weight=UNWEIGHTED, n_batch=None):
        self.XT = XT
        self.weight = weight
        self.W1T = np.ascontiguousarray(W1.T, dtype=np.float64)
        self.b1 = np.array(b1, dtype=np.float64)
        self.w2 = np.array(w2, dtype=np.float64)
        self.b2 = float(b2)
        self.A = projection(XT, W1, columns, n)
        # each node's rows in order of its pre-activation, kept up to date by its moves
        # (or NOT_RANKED: each batch sorted)
        self.ranked = [vote_ranking(a, n if n_batch is None else n_batch) for a in self.A]
        self.S = np.zeros_like(self.A)
        self.z = np.zeros(n)
        for h in range(len(self.b1)):
            set_node(self.A[h], self.b1[h], self.S[h], self.z, self.w2[h])
        self.rescore()
        n_hidden = len(self.b1)
        # the hidden bits change every iteration: bounds only, no non-zero lists
        self._bit_columns = Columns(np.zeros(n_hidden), np.ones(n_hidden),
                                    np.zeros(n_hidden + 1, dtype=np.int64),
                                    np.empty(0, dtype=np.int32), np.empty(0))
        # the output search's sums can be formed in any order (bit_search_step)
        self._exact_sums = sums_are_exact(weight)
        self._off = np.zeros(n, dtype=np.int8)
        self._on = np.zeros(n, dtype=np.int8)

    def rescore(self):
        """``bits`` packed from ``S`` again and ``z`` summed from them, after
        :func:`set_node`."""
        self.bits = pack_bits(self.S)
        output_scores(self.bits, self.w2, self.z)

    def parameters(self):
        return self.W1T.T.copy(), self.b1.copy(), self.w2.copy(), self.b2

    def scores(self):
        """Output scores of all training rows (positive = class 1)."""
        return self.z + self.b2

    def output_step(self, y, batch, order, step, window, kind):
        """The output step: coordinate step of the output node over all hidden units
        (:func:`bit_search_step` where the sums of the weights are exact, else the
        generic :func:`search_step`: the same result)."""
        if self._exact_sums:
            found = bit_search_step(self.bits, self.z, self.w2, y, batch, order, step, window,
                                    kind, NOT_RANKED, self.weight)
        else:
            below, above = np.zeros_like(y), np.ones_like(y)
            found = search_step(self.S, self.z, self.w2, y, below, above, batch, order, step,
                                window, kind, self._bit_columns, NOT_RANKED, False,
                                self.weight)
        self.b2 = found.bias0
        if found.best_c >= 0 and found.best_obj > found.obj0:
            position, sigma = decode_step(found.best_c, order.shape[0], step)
            move_weights(self.w2, order[position], sigma)
            output_scores(self.bits, self.w2, self.z)  # every row's score summed anew
            self.b2 = found.best_bias
        return found

    def node_search(self, y, batch, h, coords, step, window, kind, columns):
        """Full bias scan of node ``h`` through the output, then (with ``coords``) its
        best candidate move if that is strictly better (``search_step``'s
        ``improving_only``); nothing is changed."""
        node_outputs(self.z, self.S[h], self.w2[h], self.b2, self._off, self._on)
        return search_step(
            self.XT, self.A[h], self.W1T[h], y, self._off, self._on, batch, coords, step,
            window, kind, columns, self.ranked[h], False, self.weight, True,
        )

    def hidden_step(self, y, batch, h, coords, step, window, kind, columns):
        """The hidden step: the node's bias from a full scan (always applied), then a
        k-coordinate step of its weights on strict improvement."""
        found = self.node_search(y, batch, h, coords, step, window, kind, columns)
        self.b1[h] = found.bias0
        if found.best_c >= 0 and found.best_obj > found.obj0:
            position, sigma = decode_step(found.best_c, coords.shape[0], step)
            apply_move(self.XT, self.A[h], self.W1T[h], coords[position], sigma,
                       self.ranked[h], columns)
            self.b1[h] = found.best_bias
        set_node_exact(self.A[h], self.b1[h], self.S, self.bits, h, self.z, self.w2)
        return found

    def initialise_biases(self, y, batch, node_order, window, kind, columns, authors=False):
        """The initialisation, with two changes from the authors' code: hidden biases
        at minus the batch median of each node's projection (the midpoint between
        the two middle values, so no training row sits on a node's boundary), the
        output bias from a full scan, then a greedy pass over the nodes in ``node_order`` that moves a node's bias
        to its best full-scan threshold only when that strictly improves the batch
        objective (otherwise the median bias stays).

        ``authors``: the authors' code instead (``bias_init="authors"``): biases at
        *plus* the batch mean of each node's projection (summed in batch order), and
        a node whose scan does not improve the objective gets bias 0."""
        for h in range(len(self.b1)):
            if authors:
                self.b1[h] = batch_mean(self.A[h], batch)
            else:
                self.b1[h] = th.bias_at(np.sort(self.A[h][batch]), len(batch) // 2)
            set_node(self.A[h], self.b1[h], self.S[h], self.z, self.w2[h])
        self.rescore()
        below, above = np.zeros_like(y), np.ones_like(y)
        output = search_step(self.S, self.z, self.w2, y, below, above, batch, _NO_COORDINATES,
                             0.0, window, kind, self._bit_columns, NOT_RANKED, False,
                             self.weight)
        obj, self.b2 = output.obj0, output.bias0
        for h in node_order:
            node = self.node_search(y, batch, h, _NO_COORDINATES, 0.0, window, kind, columns)
            if node.obj0 > obj or authors:
                if node.obj0 > obj:
                    obj = node.obj0
                    self.b1[h] = node.bias0
                else:
                    self.b1[h] = 0.0
                set_node(self.A[h], self.b1[h], self.S[h], self.z, self.w2[h])
                self.rescore()


#: Votes per call of :func:`fit_votes` (``Kernel.votes_per_call``): a vote's 20
#: starting projections already share their pass over the data.
VOTES_PER_CALL = 1


def fit_votes(XT, y, plans, params, columns, report=None):
    """:func:`fit_vote` for each plan of ``plans``, in order."""
    return [fit_vote(XT, y, plan, params, columns, report) for plan in plans]


def fit_vote(XT, y, plan, params, columns, report=None):
    """Fit one MLP01 vote; returns a :class:`VoteResult` with ``params = (W1, b1, w2,
    b2)``.

    Same contract as ``cpu_scd01.fit_vote``; ``params.n_hidden`` hidden units,
    ``params.step_size`` for hidden weights, ``params.output_step_size`` for the
    output weights. The plan's ``sample_weight`` (if not None) weighs every accuracy
    of the objective; the initial hidden biases (batch medians or means) do not
    depend on it.
    """
    n_hidden = params.n_hidden
    weight = UNWEIGHTED if plan.sample_weight is None else plan.sample_weight
    net = Network(XT, columns, y.shape[0], plan.initial_weights(n_hidden), np.zeros(n_hidden),
                  plan.initial_output_weights(n_hidden), 0.0, weight, plan.batch_size)
    n_pos, n_neg = class_totals(y, plan.sample_weight)
    schedule = Schedule(params)
    stopping = EarlyStopping(params)
    window = params.bias_window
    best_obj, best = -np.inf, net.parameters()
    for it in range(params.max_iter):
        draws = plan.mlp01_draws(it)
        search_kind, eval_kind = schedule.kinds(it)
        if it == 0:
            net.initialise_biases(y, draws.batch, draws.node_order, window, search_kind,
                                  columns, params.bias_init == "authors")
        net.output_step(y, draws.batch, draws.output_order, params.output_step_size, window,
                        search_kind)
        net.hidden_step(y, draws.batch, draws.node, draws.coords, params.step_size, window,
                        search_kind, columns)
        full_obj = th.score_rows(net.scores(), y, weight, n_pos, n_neg, eval_kind)
        if full_obj > best_obj:
            best_obj, best = full_obj, net.parameters()
        if report is not None:
            report(it, best_obj)
        if not stopping.update(it, best_obj):
            break
    return VoteResult(best, best_obj, int(stopping.n_iter[0]))
