"""The Numba MLP01 kernel against the slow reference of tests/reference/mlp01.py."""

import numpy as np
import pytest

from sk01loss._kernels import cpu_mlp01
from sk01loss._kernels.cpu_search import describe_columns
from sk01loss._plans import SearchParams, VotePlan

from .reference import mlp01 as ref


def make_network(rng, n, d, H, kind):
    if kind == "sparse":
        X = rng.random((n, d)) * (rng.random((n, d)) < 0.4)
    else:
        X = rng.standard_normal((n, d))
    y = ((X[:, 0] > np.median(X[:, 0])) ^ (rng.random(n) < 0.2)).astype(np.int8)
    W1 = rng.standard_normal((d, H))
    W1 /= np.linalg.norm(W1, axis=0)
    b1 = -np.median(X @ W1, axis=0) + 0.1 * rng.standard_normal(H)
    w2 = rng.standard_normal(H)
    w2 /= np.linalg.norm(w2)
    return X, y, W1, b1, w2, float(rng.standard_normal() * 0.3)


def draw(rng, y, d, H):
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    batch = np.concatenate([rng.choice(pos, int(0.75 * len(pos)), replace=False),
                            rng.choice(neg, int(0.75 * len(neg)), replace=False)])
    return batch, rng.permutation(H), int(rng.integers(H)), rng.choice(d, min(d, 4), replace=False)


@pytest.mark.parametrize("data", ["gaussian", "sparse"])
@pytest.mark.parametrize("kind", [ref.BALANCED, ref.PLUS])
@pytest.mark.parametrize("window", [2, 20])
def test_searches_match_reference(data, kind, window):
    rng = np.random.default_rng([kind, window, len(data)])
    for _ in range(12):
        X, y, W1, b1, w2, b2 = make_network(rng, int(rng.integers(20, 70)), 5, 4, data)
        batch, order, h, coords = draw(rng, y, 5, 4)
        XT = np.ascontiguousarray(X.T)
        columns = describe_columns(XT, max_density=1.0)
        net = cpu_mlp01.Network(XT, columns, XT.shape[1], W1, b1, w2, b2)
        # the hidden-node search (full bias scan through the output, then candidates)
        got = net.node_search(y, batch, h, coords, 0.17, window, kind, columns)
        want = ref.hidden_search(X, y, W1, b1, w2, b2, batch, h, coords, 0.17, window, kind)
        assert got[:2] == want[:2] and got[3:6] == want[3:6]
        assert got[2] == pytest.approx(want[2], rel=1e-9, abs=1e-12)
        assert got[6] == pytest.approx(want[6], rel=1e-9, abs=1e-12)
        # the output step, through a whole iteration
        params = SearchParams(max_iter=1, step_size=0.17, n_coordinates=4, batch_fraction=0.75,
                              max_features=1.0, bias_window=window, balanced_fraction=0.2,
                              n_hidden=4, output_step_size=0.2)
        out = net.output_step(y, batch, order, 0.2, window, kind)
        want_out = ref.output_search(X, y, W1, b1, w2, b2, batch, order, 0.2, window, kind)
        assert (out.t0, out.obj0, out.best_c, out.best_t, out.best_obj) == (
            tuple(want_out[:2]) + tuple(want_out[3:6]))
        net.hidden_step(y, batch, h, coords, 0.17, window, kind, columns)
        expected = ref.iterate(X, y, W1, b1, w2, b2, batch, order, h, coords, params, kind)
        for got_part, want_part in zip(net.parameters(), expected):
            np.testing.assert_allclose(got_part, want_part, rtol=1e-9, atol=1e-12)
        # maintained state equals a fresh forward pass
        bits = (X @ net.W1T.T + net.b1 > 0)
        np.testing.assert_array_equal(net.S.T.astype(bool), bits)
        np.testing.assert_allclose(net.z, bits @ net.w2, atol=1e-12)


@pytest.mark.parametrize("bias_init", ["median", "authors"])
@pytest.mark.parametrize("seed", range(3))
def test_fit_vote_matches_reference(seed, bias_init):
    rng = np.random.default_rng(seed)
    X = rng.random((60, 4))
    y = ((X[:, 0] - 0.5) * (X[:, 1] - 0.5) > 0).astype(np.int8)  # XOR
    params = SearchParams(max_iter=15, step_size=0.17, n_coordinates=3, batch_fraction=0.75,
                          max_features=1.0, bias_window=6, balanced_fraction=0.2,
                          n_hidden=3, output_step_size=0.2, bias_init=bias_init)
    XT = np.ascontiguousarray(X.T)
    got, obj, _ = cpu_mlp01.fit_vote(XT, y, VotePlan(np.random.SeedSequence(seed), y, 4, params),
                                  params, describe_columns(XT))
    want, obj_ref = ref.fit_vote(X, y, VotePlan(np.random.SeedSequence(seed), y, 4, params), params)
    assert obj == obj_ref
    for got_part, want_part in zip(got, want):
        np.testing.assert_allclose(got_part, want_part, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_authors_bias_init_is_their_procedure(seed):
    """bias_init="authors": after iteration 0's greedy pass every hidden bias is either
    0 (the node's scan did not improve the batch objective) or a midpoint of two
    batch projections of that node; none keeps the provisional mean."""
    rng = np.random.default_rng(seed)
    X = rng.random((80, 5))
    y = (X[:, 0] + 0.3 * rng.standard_normal(80) > 0.5).astype(np.int8)
    params = SearchParams(max_iter=1, step_size=0.17, n_coordinates=3, batch_fraction=0.75,
                          max_features=1.0, bias_window=6, balanced_fraction=0.2,
                          n_hidden=6, output_step_size=0.2, bias_init="authors")
    plan = VotePlan(np.random.SeedSequence(seed), y, 5, params)
    W1, w2 = plan.initial_weights(6), plan.initial_output_weights(6)
    batch = plan.draw_batch()
    b1, _ = ref.initialise_biases(X, y, W1, w2, batch, plan.permutation(6), 0, authors=True)
    A = X[batch] @ W1
    for h, b in enumerate(b1):
        midpoints = -0.5 * (np.sort(A[:, h])[1:] + np.sort(A[:, h])[:-1])
        edge = -np.sort(A[:, h])[0] + 0.01
        assert b == 0.0 or np.isclose(midpoints, b).any() or np.isclose(edge, b)
        assert not np.isclose(b, A[:, h].mean()) or b == 0.0
