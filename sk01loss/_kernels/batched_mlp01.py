"""MLP01's vote loop, batched: all votes of a problem advance together, one iteration
at a time, on NumPy or CuPy (``batched_search``); the state of ``cpu_mlp01.Network``
for every vote at once."""

import numpy as np

from .batched_search import (apply_moves, feature_bounds, prefetched, project, score_rows,
                             search_steps, to_host)
from .core import EDGE_OFFSET, EarlyStopping, Schedule, VoteResult, class_totals, decode_step


def _output_scores(xp, S, w2):
    """``z = w2 @ S`` per vote, unit by unit as the Numba kernel sums it."""
    z = xp.zeros((S.shape[0], S.shape[2]))
    for h in range(S.shape[1]):
        z += S[:, h] * w2[:, h:h + 1]
    return z


class _Networks:
    """The state of ``cpu_mlp01.Network`` for V votes: (V, H, ...) arrays; ``weight``
    (n,) the rows' weights in the searches' objectives, or None."""

    def __init__(self, xp, XT, W1, w2, weight=None):
        self.xp, self.XT = xp, XT
        self.weight = weight
        self.x_bound = feature_bounds(xp, XT)
        V, _, H = W1.shape
        self.W1T = xp.ascontiguousarray(xp.transpose(W1, (0, 2, 1)))
        self.b1 = xp.zeros((V, H))
        self.w2 = w2
        self.b2 = xp.zeros(V)
        self.A = project(xp, XT, self.W1T)
        self.votes = xp.arange(V)
        self.refresh()

    def refresh(self):
        self.S = (self.A + self.b1[:, :, None] > 0).astype(np.float64)
        self.z = _output_scores(self.xp, self.S, self.w2)

    def node_search(self, y, batch, h, coords, step, window, kind):
        """Search steps of node ``h[v]`` of every vote ``v``; nothing is changed."""
        xp, v = self.xp, self.votes
        weight = self.w2[v, h]
        others = self.z - weight[:, None] * self.S[v, h] + self.b2[:, None]
        off = (others > 0).astype(np.int8)
        on = (others + weight[:, None] > 0).astype(np.int8)
        return search_steps(xp, self.XT, self.x_bound, self.A[v, h], self.W1T[v, h], y, off, on,
                            batch, coords, step, window, kind, weight=self.weight)

    def set_bias(self, h, bias, where):
        self.b1[self.votes, h] = self.xp.where(where, bias, self.b1[self.votes, h])
        self.refresh()

    def initialise_biases(self, y, batch, node_order, window, kind, authors=False):
        xp, V = self.xp, len(self.votes)
        n_b = batch.shape[1]
        rows = xp.broadcast_to(batch[:, None, :], self.A.shape[:2] + (n_b,))
        A_batch = xp.take_along_axis(self.A, rows, -1)
        if authors:
            # plus the batch mean, summed in batch order (NumPy's cumsum adds in order;
            # once per fit, so on the host whatever xp is)
            self.b1 = xp.asarray(np.cumsum(to_host(A_batch), axis=-1)[..., -1] / n_b)
        else:
            middle = xp.sort(A_batch, axis=-1)[:, :, max(n_b // 2 - 1, 0):n_b // 2 + 1]
            self.b1 = (-middle[..., 0] + EDGE_OFFSET if n_b // 2 == 0
                       else -0.5 * (middle[..., 0] + middle[..., -1]))
        self.refresh()
        none = xp.zeros((V, 0), dtype=np.int64)
        output = self._output_search(y, batch, none, 0.0, window, kind)
        obj, self.b2 = output.obj0, output.bias0
        for i in range(node_order.shape[1]):
            h = node_order[:, i]
            node = self.node_search(y, batch, h, none, 0.0, window, kind)
            better = node.obj0 > obj
            obj = xp.where(better, node.obj0, obj)
            if authors:  # a node that does not improve gets bias 0
                self.set_bias(h, xp.where(better, node.bias0, 0.0), xp.ones(V, dtype=bool))
            else:
                self.set_bias(h, node.bias0, better)

    def _output_search(self, y, batch, order, step, window, kind):
        xp = self.xp
        shape = self.z.shape
        # hidden bits are 0 or 1
        return search_steps(xp, self.S, xp.ones(self.w2.shape), self.z, self.w2, y,
                            xp.zeros(shape, dtype=np.int8), xp.ones(shape, dtype=np.int8), batch,
                            order, step, window, kind, weight=self.weight)

    def output_step(self, y, batch, order, step, window, kind):
        xp = self.xp
        found = self._output_search(y, batch, order, step, window, kind)
        accept = (found.best_c >= 0) & (found.best_obj > found.obj0)
        position, sigma = decode_step(found.best_c, order.shape[1], step)
        apply_moves(xp, self.S, self.z, self.w2, accept, order[self.votes, position], sigma)
        self.b2 = xp.where(accept, found.best_bias, found.bias0)
        self.z = _output_scores(xp, self.S, self.w2)

    def hidden_step(self, y, batch, h, coords, step, window, kind):
        xp, v = self.xp, self.votes
        found = self.node_search(y, batch, h, coords, step, window, kind)
        accept = (found.best_c >= 0) & (found.best_obj > found.obj0)
        position, sigma = decode_step(found.best_c, coords.shape[1], step)
        A_h, W_h = self.A[v, h], self.W1T[v, h]
        apply_moves(xp, self.XT, A_h, W_h, accept, coords[v, position], sigma)
        self.A[v, h], self.W1T[v, h] = A_h, W_h
        self.set_bias(h, xp.where(accept, found.best_bias, found.bias0),
                      xp.ones(len(v), dtype=bool))


def fit_votes(XT, y, plans, params, columns=None, report=None, xp=np):
    """Fit the MLP01 votes of ``plans`` together; a :class:`VoteResult` per plan, the
    same as ``cpu_mlp01.fit_vote``'s (up to float rounding and tie order);
    ``columns`` is not used."""
    H = params.n_hidden
    weight = plans[0].sample_weight  # the plans of one problem share the row weights
    weight_dev = None if weight is None else xp.asarray(weight)
    XT = xp.asarray(XT)
    y_dev = xp.asarray(y)
    V = len(plans)
    net = _Networks(xp, XT, xp.asarray(np.stack([p.initial_weights(H) for p in plans])),
                    xp.asarray(np.stack([p.initial_output_weights(H) for p in plans])),
                    weight_dev)
    n_pos, n_neg = class_totals(y, weight)
    schedule = Schedule(params)
    stopping = EarlyStopping(params, V, xp)
    window = params.bias_window
    best_obj = xp.full(V, -np.inf)
    best = [a.copy() for a in (net.W1T, net.b1, net.w2, net.b2)]
    draws = prefetched(xp, plans, params.max_iter, lambda plan, it: plan.mlp01_draws(it))
    for it, draw in enumerate(draws):
        search_kind, eval_kind = schedule.kinds(it)
        if it == 0:
            net.initialise_biases(y_dev, draw.batch, draw.node_order, window, search_kind,
                                  params.bias_init == "authors")
        net.output_step(y_dev, draw.batch, draw.output_order, params.output_step_size, window,
                        search_kind)
        net.hidden_step(y_dev, draw.batch, draw.node, draw.coords, params.step_size, window,
                        search_kind)
        full = score_rows(xp, net.z + net.b2[:, None], y_dev[None, :], n_pos, n_neg,
                          eval_kind, weight_dev)
        # a vote that stopped is frozen: its best parameters no longer change
        improved = (full > best_obj) & stopping.running
        best_obj = xp.where(improved, full, best_obj)
        for i, current in enumerate((net.W1T, net.b1, net.w2, net.b2)):
            mask = improved.reshape((V,) + (1,) * (current.ndim - 1))
            best[i] = xp.where(mask, current, best[i])
        if report is not None:
            report(it, float(best_obj.max()))
        if not stopping.update(it, best_obj):
            break
    W1T, b1, w2, b2 = (to_host(a) for a in best)
    best_obj = to_host(best_obj)
    return [VoteResult((W1T[v].T.copy(), b1[v], w2[v], float(b2[v])), float(best_obj[v]),
                       int(stopping.n_iter[v])) for v in range(V)]
