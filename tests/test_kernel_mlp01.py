"""The Numba MLP01 kernel against the slow reference of tests/reference/mlp01.py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sk01loss._kernels import _threshold as th
from sk01loss._kernels import cpu_mlp01, cpu_search
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
        # the hidden-node search (full bias scan through the output, then the best
        # candidate where it is strictly better)
        got = net.node_search(y, batch, h, coords, 0.17, window, kind, columns)
        want = ref.hidden_search(X, y, W1, b1, w2, b2, batch, h, coords, 0.17, window, kind)
        assert got[:2] == want[:2]
        assert got[2] == pytest.approx(want[2], rel=1e-9, abs=1e-12)
        if want[5] > want[1]:
            assert got[3:6] == want[3:6]
            assert got[6] == pytest.approx(want[6], rel=1e-9, abs=1e-12)
        else:
            assert got[3:6] == (-1, -1, -np.inf)
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
        # ... and is exactly the unit-order sum of the packed bits it keeps
        np.testing.assert_array_equal(net.bits, cpu_search.pack_bits(net.S))
        unit_order = np.zeros_like(net.z)
        for h in range(len(net.w2)):
            unit_order += net.S[h] * net.w2[h]
        assert unit_order.tobytes() == net.z.tobytes()


# batches of 75 % keep each node's rows in order, of 30 % sort each batch
@pytest.mark.parametrize("batch_fraction", [0.3, 0.75])
@pytest.mark.parametrize("bias_init", ["median", "authors"])
@pytest.mark.parametrize("seed", range(3))
def test_fit_vote_matches_reference(seed, bias_init, batch_fraction):
    rng = np.random.default_rng(seed)
    X = rng.random((60, 4))
    y = ((X[:, 0] - 0.5) * (X[:, 1] - 0.5) > 0).astype(np.int8)  # XOR
    params = SearchParams(max_iter=15, step_size=0.17, n_coordinates=3,
                          batch_fraction=batch_fraction,
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


def bit_columns(H):
    """The :class:`Columns` ``cpu_mlp01.Network`` gives the generic search of the hidden
    bits: bounds 0 and 1, no lists."""
    return cpu_search.Columns(np.zeros(H), np.ones(H), np.zeros(H + 1, dtype=np.int64),
                              np.empty(0, dtype=np.int32), np.empty(0))


def outcome(search, *args):
    """What ``search(*args)`` returns, or the name of the error it raises."""
    try:
        return search(*args)
    except ZeroDivisionError as error:
        return type(error).__name__


@given(n=st.integers(1, 400), H=st.sampled_from([1, 2, 3, 5, 20, 64, 70]),
       n_patterns=st.integers(1, 12), n_units=st.integers(1, 6),
       grid=st.booleans(), step=st.sampled_from([0.2, 0.25, 0.5, 1.0, 3.0, 2.0**-50, 1e-17]),
       window=st.integers(1, 40), kind=st.sampled_from([ref.BALANCED, ref.PLUS]),
       weights=st.sampled_from(["none", "integers", "halves"]), ranked=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_bit_search_step_is_search_step(n, H, n_patterns, n_units, grid, step, window, kind,
                                        weights, ranked, seed):
    """The output node's search (0/1 columns, exact counts) returns exactly what the
    generic search returns, field by field and bit for bit, on data full of ties:
    few distinct rows (hidden bit patterns) and few distinct columns, output weights on
    a grid (scores and scores + step coincide) or not, steps so small that rounding
    makes distinct scores equal, with or without exact weights. Four draws of the
    data per example."""
    for draw_number in range(4):
        rng = np.random.default_rng([seed, draw_number])
        units = (rng.random((n_units, n_patterns)) < rng.random()).astype(np.float64)
        columns = units[rng.integers(0, n_units, H)]
        S = np.ascontiguousarray(columns[:, rng.integers(0, n_patterns, n)])
        w = rng.integers(-4, 5, H) / 4.0 if grid else rng.standard_normal(H)
        w = w / max(np.linalg.norm(w), 1e-3) if not grid else w
        z = np.zeros(n)
        cpu_mlp01.output_scores(cpu_search.pack_bits(S), w, z)
        y = (rng.random(n) < rng.random()).astype(np.int8)
        batch = rng.choice(n, int(rng.integers(1, n + 1)), replace=False)
        weight = {"none": cpu_search.UNWEIGHTED,
                  "integers": rng.integers(0, 4, n).astype(np.float64),
                  "halves": rng.integers(0, 6, n) * 0.5}[weights]
        counted = np.ones(n) if weight.shape[0] == 0 else weight
        if not (counted[batch] * y[batch]).sum() > 0 < (counted[batch] * (1 - y[batch])).sum():
            continue  # a class without weight in the batch: the objective is undefined
        assert cpu_search.sums_are_exact(weight)
        order = rng.permutation(H)
        ranking = cpu_search.rank_rows(z) if ranked else cpu_search.NOT_RANKED
        want = outcome(cpu_search.search_step, S, z, w, y, np.zeros_like(y), np.ones_like(y),
                       batch, order, step, window, kind, bit_columns(H), ranking, False, weight)
        got = outcome(cpu_search.bit_search_step, cpu_search.pack_bits(S), z, w, y, batch, order,
                      step, window, kind, ranking, weight)
        if isinstance(want, str):  # the best candidate has weights 0 (grid weights, H = 1)
            assert got == want
            continue
        assert got._fields == want._fields
        for field, a, b in zip(got._fields, got, want):
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), (field, a, b)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 300), d=st.integers(1, 6), counted=st.sampled_from([0.0, 0.02, 0.1, 0.25, 1.0]),
       data=st.sampled_from(["gaussian", "sparse", "dense with zeros", "few values",
                             "magnitudes"]),
       step=st.sampled_from([0.17, 0.5, 1.0, 3.0, 1e-9]), window=st.integers(1, 30),
       kind=st.sampled_from([ref.BALANCED, ref.PLUS]),
       weights=st.sampled_from(["none", "floats", "with zeros", "tenths", "wide"]),
       one_coordinate=st.booleans(), ranked=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_improving_only_search_is_the_full_search(n, d, counted, data, step, window, kind,
                                                  weights, one_coordinate, ranked, seed):
    """A hidden node's search with ``improving_only`` (candidates by bound, most
    skipped where few rows count) reports exactly the full search's best candidate
    when that is strictly better than the current weights, and none otherwise; every
    bound, widened by the rounding of weighted sums, is at least its candidate's
    objective. Data with ties, sparse and dense, of any magnitude; weights whose
    sums round (tenths, a wide range) or not; weights on one coordinate, which a
    step of 1 can take to zero (a candidate whose bias is never computed unless it
    is the best)."""
    rng = np.random.default_rng(seed)
    X = {"gaussian": lambda: rng.standard_normal((n, d)),
         "sparse": lambda: rng.random((n, d)) * (rng.random((n, d)) < 0.3),
         "dense with zeros": lambda: rng.random((n, d)) * (rng.random((n, d)) < 0.7),
         "few values": lambda: rng.integers(-2, 3, (n, d)) / 2.0,
         "magnitudes": lambda: rng.standard_normal((n, d)) * 10.0 ** rng.integers(-30, 31, d),
         }[data]()
    y = (rng.random(n) < 0.4).astype(np.int8)
    # a hidden node: the rows whose network output it decides, either way round
    off = rng.integers(0, 2, n).astype(np.int8)
    decides = rng.random(n) < counted
    on = np.where(decides, 1 - off, off).astype(np.int8)
    weight = {"none": cpu_search.UNWEIGHTED, "floats": rng.random(n) + 0.1,
              "with zeros": rng.integers(0, 3, n) * 0.75, "tenths": rng.integers(1, 10, n) * 0.1,
              "wide": 10.0 ** rng.integers(-3, 4, n)}[weights]
    batch = rng.choice(n, int(rng.integers(2, n + 1)), replace=False)
    counts = np.ones(n) if weight.shape[0] == 0 else weight
    if not (counts[batch] * y[batch]).sum() > 0 < (counts[batch] * (1 - y[batch])).sum():
        return  # a class without weight in the batch: the objective is undefined
    w = rng.standard_normal(d)
    if one_coordinate:
        w *= np.arange(d) == rng.integers(d)
    w /= np.linalg.norm(w)
    coords = rng.choice(d, int(rng.integers(1, d + 1)), replace=False)
    if data == "sparse":
        import scipy.sparse as sp
        XT = np.empty((d, 0))
        columns = describe_columns(sp.csr_matrix(sp.csc_matrix(X).T))
    else:
        XT = np.ascontiguousarray(X.T)
        columns = describe_columns(XT, max_density=rng.choice([0.0, 0.5, 1.0]))
    P = cpu_search.projection(XT, w, columns, n)
    ranking = cpu_search.rank_rows(P) if ranked else cpu_search.NOT_RANKED
    args = (XT, P, w, y, off, on, batch, coords, step, window, kind, columns, ranking, False,
            weight)
    full = cpu_search.search_step(*args)
    got = cpu_search.search_step(*args, True)
    assert got[:3] == full[:3]
    if full.best_obj > full.obj0:
        assert np.asarray(got).tobytes() == np.asarray(full).tobytes()
    else:
        assert (got.best_c, got.best_t, got.best_obj, got.best_bias) == (-1, -1, -np.inf, 0.0)
    # each bound against the objective of its candidate searched alone
    sc = cpu_search.sorted_counts(P, batch, ranking, y, off, on, weight)
    lo, hi = max(0, full.t0 - window), min(len(batch), full.t0 + window)
    bound = cpu_search.candidate_bounds(
        XT, sc[0], sc[1], sc[3], sc[4], sc[5], sc[6], cpu_search.counted_rows(sc[3], sc[4]),
        coords, step, lo, hi, columns, sc[7], sc[8], sc[9], sc[10], kind,
        cpu_search.column_buffer(XT, n))
    slack = 0.0 if weight.shape[0] == 0 else cpu_search.bound_slack(len(batch), sc[9], sc[10])
    k = len(coords)
    for jj in range(k):  # the better sign of a column, searched alone
        alone = cpu_search.search_step(XT, P, w, y, off, on, batch, coords[jj:jj + 1], step,
                                       window, kind, columns, ranking, False, weight)
        assert bound[jj if alone.best_c == 0 else k + jj] + slack >= alone.best_obj


@given(n=st.integers(0, 600), n_distinct=st.integers(1, 400), seed=st.integers(0, 2**32 - 1))
def test_argsort_few_is_argsort_stable(n, n_distinct, seed):
    """The counting sort of few distinct values gives the radix sort's order, with
    -0.0 equal to 0.0 and infinities, and falls back to it when too many are distinct."""
    rng = np.random.default_rng(seed)
    pool = np.concatenate([rng.standard_normal(n_distinct), [0.0, -0.0, np.inf, -np.inf]])
    values = pool[rng.integers(0, len(pool), n)]
    np.testing.assert_array_equal(th.argsort_few(values), th.argsort_stable(values))
    # the first values all distinct, a tied tail: it gives up on the first
    values[:th.ALL_DISTINCT] = rng.standard_normal(min(n, th.ALL_DISTINCT))
    np.testing.assert_array_equal(th.argsort_few(values), np.argsort(values, kind="stable"))


def test_sums_are_exact():
    """Which weights let the output search sum in its own order."""
    exact = cpu_search.sums_are_exact
    assert exact(cpu_search.UNWEIGHTED)
    assert exact(np.array([1.0, 2.0, 0.0, 3.0])) and exact(np.array([0.5, 0.25, 7.0]))
    assert exact(np.array([0.1]))  # one weight: every sum is a multiple of it
    assert exact(np.array([2.0**52, 1.0])) and not exact(np.array([2.0**53, 1.0]))
    assert not exact(np.array([0.1, 0.2])) and not exact(np.array([1.0, np.inf]))
