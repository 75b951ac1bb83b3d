"""The Numba SCD01 kernel against the slow reference of tests/reference/scd01.py."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from sk01loss._kernels import cpu_scd01, cpu_search
from sk01loss._plans import SearchParams, VotePlan

from .reference import scd01 as ref


def make_problem(rng, kind):
    n = int(rng.integers(12, 90))
    d = int(rng.integers(2, 9))
    if kind == "gaussian":
        X = rng.standard_normal((n, d))
    elif kind == "sparse":  # mostly zeros, like image pixels
        X = rng.random((n, d)) * (rng.random((n, d)) < 0.3)
    elif kind == "ties":  # few distinct values: duplicate rows with different labels
        X = rng.integers(0, 3, size=(n, d)).astype(np.float64)
    elif kind == "shifted":  # columns without zeros and constant columns
        X = 2 + rng.random((n, d))
        X[:, 0] = 3.0
        X[:, -1] = 0.0
    y = (rng.random(n) < rng.uniform(0.2, 0.8)).astype(np.int8)
    y[:2] = [0, 1]
    return X, y


def draw_step(rng, X, y):
    n, d = X.shape
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    batch = np.concatenate([
        rng.choice(pos, max(1, int(0.75 * len(pos))), replace=False),
        rng.choice(neg, max(1, int(0.75 * len(neg))), replace=False),
    ])
    coords = rng.choice(d, int(rng.integers(1, d + 1)), replace=False)
    w = rng.standard_normal(d)
    return batch, coords, w / np.linalg.norm(w)


# max_density 0 reads every column band by band; 1 lists the non-zeros of every column
# that has zeros (used whenever the list is shorter than the band)
@pytest.mark.parametrize("max_density", [0.0, 1.0])
@pytest.mark.parametrize("data", ["gaussian", "sparse", "ties", "shifted"])
@pytest.mark.parametrize("kind", [ref.BALANCED, ref.PLUS])
@pytest.mark.parametrize("window", [1, 3, 20, 1000])
@pytest.mark.parametrize("ranked", [False, True])
def test_search_step_matches_reference(data, kind, window, max_density, ranked):
    rng = np.random.default_rng([data == "sparse", kind, window, len(data)])
    for _ in range(25):
        X, y = make_problem(rng, data)
        batch, coords, w = draw_step(rng, X, y)
        step = float(rng.choice([0.17, 0.5, 2.0]))
        XT = np.ascontiguousarray(X.T)
        P = cpu_search.project(XT, w)
        columns = cpu_search.describe_columns(XT, max_density)
        ranking = cpu_search.rank_rows(P) if ranked else cpu_search.NOT_RANKED
        got = cpu_search.search_step(XT, P, w, y, 0 * y, 1 + 0 * y, batch, coords, step, window,
                                    kind, columns, ranking)
        want = ref.search_step(X, w, y, batch, coords, step, window, kind)
        t0, obj0, bias0, c, t, obj, bias = got[:7]
        assert got[7:] == (-1, -np.inf, 0.0)  # the flipped orientation was not asked for
        assert (t0, obj0) == want[:2]
        assert bias0 == pytest.approx(want[2], rel=1e-9, abs=1e-12)
        constant = X.min(0)[coords] == X.max(0)[coords]
        if not constant.any() or want[5] > want[1]:
            # constant columns only shift projections, so the kernel skips them;
            # that can only change which non-improving candidate is "best"
            assert (c, t, obj) == want[3:6]
            assert bias == pytest.approx(want[6], rel=1e-9, abs=1e-12)
        else:
            assert obj <= obj0


@pytest.mark.parametrize("data", ["gaussian", "sparse", "ties", "shifted"])
@pytest.mark.parametrize("kind", [ref.BALANCED, ref.PLUS])
@pytest.mark.parametrize("ranked", [False, True])
def test_flipped_scan_matches_reference(data, kind, ranked):
    """``flip=True`` adds the full scan of ``-w`` (threshold, objective, bias) and
    changes nothing else."""
    rng = np.random.default_rng([len(data), kind, ranked, 27])
    n_flip_better = 0
    for _ in range(40):
        X, y = make_problem(rng, data)
        batch, coords, w = draw_step(rng, X, y)
        XT = np.ascontiguousarray(X.T)
        P = cpu_search.project(XT, w)
        columns = cpu_search.describe_columns(XT)
        ranking = cpu_search.rank_rows(P) if ranked else cpu_search.NOT_RANKED
        args = (XT, P, w, y, 0 * y, 1 + 0 * y, batch, coords, 0.17, 5, kind, columns)
        plain = cpu_search.search_step(*args, ranking)
        got = cpu_search.search_step(*args, ranking, True)
        assert got[:7] == plain[:7]
        t, obj, bias = ref.flipped_search(X, w, y, batch, kind)
        assert (got.flip_t, got.flip_obj) == (t, obj)
        assert got.flip_bias == pytest.approx(bias, rel=1e-9, abs=1e-12)
        # the bias of -w puts exactly the rows below the threshold on the positive side
        p = np.sort(X[batch].astype(np.float64) @ w)
        if np.unique(p).size == p.size:  # equal values across a threshold cannot be split
            assert np.array_equal(-p + got.flip_bias > 0, np.arange(len(p)) < t)
        n_flip_better += obj > got.obj0
    assert n_flip_better > 0  # random directions: -w is often better


def test_flipped_scan_of_negated_weights_mirrors_the_full_scan():
    """-w's flipped scan is w's full scan, threshold index mirrored (distinct values)."""
    rng = np.random.default_rng(5)
    for _ in range(30):
        X, y = make_problem(rng, "gaussian")
        batch, coords, w = draw_step(rng, X, y)
        XT = np.ascontiguousarray(X.T)
        columns = cpu_search.describe_columns(XT)
        for kind in (ref.BALANCED, ref.PLUS):
            a = cpu_search.search_step(XT, cpu_search.project(XT, w), w, y, 0 * y, 1 + 0 * y,
                                       batch, coords, 0.17, 5, kind, columns,
                                       cpu_search.NOT_RANKED, True)
            b = cpu_search.search_step(XT, cpu_search.project(XT, -w), -w, y, 0 * y, 1 + 0 * y,
                                       batch, coords, 0.17, 5, kind, columns,
                                       cpu_search.NOT_RANKED, True)
            assert a.flip_obj == b.obj0 and b.flip_obj == a.obj0
            # first maximum in increasing t of one is the last in the other's order
            assert a.flip_t <= len(batch) - b.t0 and b.flip_t <= len(batch) - a.t0


@pytest.mark.parametrize("max_density", [0.0, 0.5])
def test_sparse_step_on_image_like_batch(max_density):
    """Many rows and a narrow window: the banded, bucketed path on realistic sizes."""
    rng = np.random.default_rng(7)
    X = (rng.random((1500, 12)) * (rng.random((1500, 12)) < 0.25)).astype(np.float32)
    y = (X[:, :6].sum(1) + 0.2 * rng.standard_normal(1500) > 0.4).astype(np.int8)
    for _ in range(4):
        batch, coords, w = draw_step(rng, X, y)
        XT = np.ascontiguousarray(X.T)
        got = cpu_search.search_step(XT, cpu_search.project(XT, w), w, y, 0 * y, 1 + 0 * y, batch,
                                    coords, 0.17, 20, ref.PLUS,
                                    cpu_search.describe_columns(XT, max_density),
                                    cpu_search.NOT_RANKED)
        want = ref.search_step(X, w, y, batch, coords, 0.17, 20, ref.PLUS)
        assert got[:2] == want[:2] and got[3:6] == want[3:6]
        assert got[6] == pytest.approx(want[6], rel=1e-6)


# batches of 75 % keep every row in order between iterations, of 30 % sort each batch
@pytest.mark.parametrize("batch_fraction", [0.3, 0.75])
@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_fit_vote_matches_reference(seed, flip, batch_fraction):
    rng = np.random.default_rng(seed)
    X = rng.random((70, 5)) * (rng.random((70, 5)) < 0.6)
    y = (X @ rng.standard_normal(5) + 0.3 * rng.standard_normal(70) > 0.1).astype(np.int8)
    params = SearchParams(max_iter=30, step_size=0.17, n_coordinates=3,
                          batch_fraction=batch_fraction,
                          max_features=1.0, bias_window=5, balanced_fraction=0.2,
                          flip_orientation=flip)
    XT = np.ascontiguousarray(X.T)
    (w, b), obj, _ = cpu_scd01.fit_vote(XT, y, VotePlan(np.random.SeedSequence(seed), y, 5, params),
                                     params, cpu_search.describe_columns(XT))
    w_ref, b_ref, obj_ref = ref.fit_vote(X, y, VotePlan(np.random.SeedSequence(seed), y, 5, params),
                                         30, 0.17, 5, 0.2, flip)
    assert obj == obj_ref
    np.testing.assert_allclose(w, w_ref, rtol=1e-9, atol=1e-12)
    assert b == pytest.approx(b_ref, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), d=st.integers(1, 8),
       density=st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]),
       max_density=st.sampled_from([0.0, 0.5, 1.0]), float32=st.booleans())
def test_projection_is_bitwise_the_plain_sum(seed, n, d, density, max_density, float32):
    """Listed columns are read at their non-zeros only, sparse data through its CSC
    arrays: both give ``project``'s numbers bit for bit (zeros of either sign,
    tiny and huge values, zero weights)."""
    rng = np.random.default_rng(seed)
    X = rng.choice([-1e30, -2.5, -1e-30, 0.25, 3.0, 1e-5], (n, d)) * (rng.random((n, d)) < density)
    X[rng.random((n, d)) < 0.1] = -0.0
    X = X.astype(np.float32 if float32 else np.float64)
    w = rng.standard_normal(d) * (rng.random(d) < 0.8)
    XT = np.ascontiguousarray(X.T)
    want = cpu_search.project(XT, w)
    dense = cpu_search.projection(XT, w, cpu_search.describe_columns(XT, max_density), n)
    CT = sp.csr_matrix(sp.csc_matrix(X).T)
    CT.eliminate_zeros()
    CT.sort_indices()
    sparse = cpu_search.projection(np.empty((d, 0), X.dtype), w,
                                   cpu_search.describe_columns(CT), n)
    for got in (dense, sparse):
        assert np.array_equal(got.view(np.int64), want.view(np.int64))
    # several weight vectors at once: one row each
    W = np.column_stack([w, -w, np.zeros(d), rng.standard_normal(d)])
    want = np.stack([cpu_search.project(XT, W[:, h]) for h in range(W.shape[1])])
    dense = cpu_search.projection(XT, W, cpu_search.describe_columns(XT, max_density), n)
    sparse = cpu_search.projection(np.empty((d, 0), X.dtype), W,
                                   cpu_search.describe_columns(CT), n)
    for got in (dense, sparse):
        assert got.shape == want.shape and got.flags.c_contiguous
        assert np.array_equal(got.view(np.int64), want.view(np.int64))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(300, 1500), d=st.integers(1, 6),
       density=st.sampled_from([0.1, 0.5, 1.0]), max_density=st.sampled_from([0.0, 0.5, 1.0]))
def test_projection_of_many_weights_is_summed_in_blocks_of_rows(seed, n, d, density,
                                                                 max_density):
    """With many weight vectors the output is summed a block of rows at a time (each
    column's non-zeros taken up where the last block left them): still ``project``'s
    numbers bit for bit, for dense and sparse data."""
    rng = np.random.default_rng(seed)
    X = rng.choice([-2.5, -1e-30, 0.25, 3.0, 1e-5], (n, d)) * (rng.random((n, d)) < density)
    XT = np.ascontiguousarray(X.T)
    H = 4 * cpu_search.PROJECTION_BLOCK_VALUES // 256 + int(rng.integers(1, 200))
    W = rng.standard_normal((d, H)) * (rng.random((d, 1)) < 0.8)
    assert cpu_search._row_blocks(n, H) < n  # several blocks
    want = np.stack([cpu_search.project(XT, W[:, h]) for h in range(H)])
    CT = sp.csr_matrix(sp.csc_matrix(X).T)
    CT.eliminate_zeros()
    CT.sort_indices()
    dense = cpu_search.projection(XT, W, cpu_search.describe_columns(XT, max_density), n)
    sparse = cpu_search.projection(np.empty((d, 0)), W, cpu_search.describe_columns(CT), n)
    for got in (dense, sparse):
        assert np.array_equal(got.view(np.int64), want.view(np.int64))


@pytest.mark.parametrize("max_density", [0.0, 0.5, 1.0])
def test_incremental_projections_stay_exact(max_density):
    rng = np.random.default_rng(0)
    X = rng.random((500, 30)) * (rng.random((500, 30)) < 0.4)
    X[:100] = X[100:200]  # equal rows: equal projections
    X = X.astype(np.float32)
    XT = np.ascontiguousarray(X.T)
    columns = cpu_search.describe_columns(XT, max_density)
    w = rng.standard_normal(30)
    w /= np.linalg.norm(w)
    P = cpu_search.project(XT, w)
    ranked = cpu_search.rank_rows(P)
    for _ in range(300):
        cpu_search.apply_move(XT, P, w, int(rng.integers(30)), float(rng.choice([-0.17, 0.17])),
                              ranked, columns)
        # the order kept by the moves is an ascending order of the rows
        assert np.array_equal(np.sort(ranked), np.arange(500))
        assert np.all(np.diff(P[ranked]) >= 0)
    assert np.linalg.norm(w) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(P, X.astype(np.float64) @ w, atol=1e-6)


@pytest.mark.parametrize("seed", range(20))
def test_ranked_batch_order_is_a_stable_sort(seed):
    """Reading the batch off the kept order gives the stable sort of the batch, ties
    (equal projections, signed zeros) in batch order."""
    rng = np.random.default_rng(seed)
    P = rng.integers(-3, 4, 400).astype(float) * rng.choice([1.0, 0.5, 1e-300], 400)
    if seed % 2:  # long runs of equal values
        P = rng.integers(0, 3, 400).astype(float)
    P[rng.random(400) < 0.1] = -0.0
    batch = rng.choice(400, int(rng.integers(1, 400)), replace=False)
    want = cpu_search.sort_batch(P, batch, cpu_search.NOT_RANKED)
    got = cpu_search.sort_batch(P, batch, cpu_search.rank_rows(P))
    for g, w in zip(got, want):
        assert np.array_equal(g, w)
    assert np.array_equal(want[2], np.argsort(P[batch], kind="stable"))


def test_radix_argsort_is_a_stable_sort():
    from sk01loss._kernels._threshold import argsort_stable

    rng = np.random.default_rng(0)
    values = np.concatenate([rng.standard_normal(3000) * 10.0 ** rng.integers(-30, 30, 3000),
                             rng.integers(-3, 3, 3000).astype(float), [0.0, -0.0, np.inf, -np.inf]])
    rng.shuffle(values)
    np.testing.assert_array_equal(argsort_stable(values), np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(argsort_stable(np.ones(5)), np.arange(5))
    np.testing.assert_array_equal(argsort_stable(np.empty(0)), np.empty(0, dtype=np.int64))


@given(n_spread=st.integers(0, 300), n_close=st.integers(0, 300), n_tied=st.integers(0, 300),
       seed=st.integers(0, 2**32 - 1))
def test_radix_argsort_orders_values_apart_in_their_low_bits(n_spread, n_close, n_tied, seed):
    """The radix sort looks at the top 32 bits of each key: values that share them
    (apart by a few units in the last place, in short and long runs), ties, -0.0 and
    infinities are put in order by the full key, stably."""
    from sk01loss._kernels._threshold import argsort_stable

    rng = np.random.default_rng(seed)
    base = rng.choice([1.0, -1.0, 3e-300, 2.0**40])
    values = np.concatenate([
        rng.standard_normal(n_spread) * 10.0 ** rng.integers(-30, 30, n_spread),
        base + base * rng.integers(-40, 40, n_close) * 2.0**-52,  # one run of top bits
        rng.choice([0.0, -0.0, np.inf, -np.inf, base], n_tied),
    ])
    rng.shuffle(values)
    np.testing.assert_array_equal(argsort_stable(values), np.argsort(values, kind="stable"))


@given(n_sorted=st.integers(0, 150), n_other=st.integers(0, 150), n_values=st.integers(1, 300),
       need=st.integers(0, 300), seed=st.integers(0, 2**32 - 1))
def test_a_window_is_merged_in_key_order(n_sorted, n_other, n_values, need, seed):
    """The rows a candidate leaves (in key order) and those it moves (any order: sorted
    by insertion up to 64 rows, else by two stable sorts) merge into the order of the
    key (value, batch position), ties of value included."""
    from sk01loss._kernels import _threshold as th

    rng = np.random.default_rng(seed)
    size = n_sorted + n_other
    need = min(need, size)
    values = rng.integers(0, n_values, size).astype(float) * rng.choice([1.0, -1e-300])
    tiebreak = rng.permutation(10 * size + 1)[:size]
    drop, gain = rng.integers(-1, 2, size), rng.integers(-1, 2, size)
    first = np.lexsort((tiebreak[:n_sorted], values[:n_sorted]))
    for array in (values, tiebreak, drop, gain):
        array[:n_sorted] = array[:n_sorted][first]
    want = np.lexsort((tiebreak, values))[:need]
    expected = [array[want].copy() for array in (values, tiebreak, drop, gain)]
    th.sort_by_key(values, tiebreak, drop, gain, n_sorted, size)
    out = (np.empty(size), np.empty(size, np.int64), np.empty(size, np.int64),
           np.empty(size, np.int64))
    th.merge_by_key(values, tiebreak, drop, gain, n_sorted, size, need, out)
    for got, wanted in zip(out, expected):
        np.testing.assert_array_equal(got[:need], wanted)


def test_describe_columns_lists_the_nonzero_rows_of_sparse_columns():
    rng = np.random.default_rng(0)
    X = rng.random((40, 5)) * (rng.random((40, 5)) < [0.1, 0.4, 0.6, 1.0, 0.0])
    X[3, 2] = -1.0
    columns = cpu_search.describe_columns(np.ascontiguousarray(X.T), max_density=0.5)
    np.testing.assert_array_equal(columns.min, X.min(0))
    np.testing.assert_array_equal(columns.max, X.max(0))
    for j in range(5):
        listed = columns.nonzero_rows[columns.nonzero_start[j]:columns.nonzero_start[j + 1]]
        if np.count_nonzero(X[:, j]) <= 0.5 * len(X):
            np.testing.assert_array_equal(listed, np.flatnonzero(X[:, j]))
        else:
            assert listed.size == 0


def test_non_zero_lists_change_nothing_but_speed():
    rng = np.random.default_rng(3)
    X = (rng.random((3000, 40)) * (rng.random((3000, 40)) < rng.uniform(0.05, 0.9, 40)))
    y = (X[:, :20].sum(1) - X[:, 20:].sum(1) + 0.3 * rng.standard_normal(3000) > 0)
    y = y.astype(np.int8)
    XT = np.ascontiguousarray(X.astype(np.float32).T)
    params = SearchParams(max_iter=60, step_size=0.17, n_coordinates=16, batch_fraction=0.75,
                          max_features=1.0, bias_window=20, balanced_fraction=0.2)
    fits = [cpu_scd01.fit_vote(XT, y, VotePlan(np.random.SeedSequence(5), y, 40, params),
                               params, cpu_search.describe_columns(XT, max_density))
            for max_density in (0.0, 0.5, 1.0)]
    for (w, b), obj, _ in fits[1:]:
        np.testing.assert_array_equal(w, fits[0][0][0])
        assert b == fits[0][0][1] and obj == fits[0][1]


@pytest.mark.parametrize("max_features", [1.0, 0.5])
def test_votes_fitted_together_are_the_votes_fitted_alone(max_features):
    """fit_votes projects the random starts of its votes in one pass: each vote is
    the one fit_vote gives, whatever the other votes of the call."""
    rng = np.random.default_rng(7)
    X = rng.random((800, 30)) * (rng.random((800, 30)) < rng.uniform(0.05, 0.9, 30))
    y = (X[:, :15].sum(1) - X[:, 15:].sum(1) + 0.3 * rng.standard_normal(800) > 0)
    y = y.astype(np.int8)
    XT = np.ascontiguousarray(X.astype(np.float32).T)
    columns = cpu_search.describe_columns(XT)
    params = SearchParams(max_iter=40, step_size=0.17, n_coordinates=8, batch_fraction=0.3,
                          max_features=max_features, bias_window=10, balanced_fraction=0.2)

    def plans(seeds):
        return [VotePlan(np.random.SeedSequence(s), y, 30, params) for s in seeds]

    together = cpu_scd01.fit_votes(XT, y, plans([3, 4, 5]), params, columns)
    alone = [cpu_scd01.fit_vote(XT, y, plan, params, columns) for plan in plans([3, 4, 5])]
    assert len({float(vote.objective) for vote in alone}) > 1  # three different votes
    for got, want in zip(together, alone):
        np.testing.assert_array_equal(got.params[0], want.params[0])
        assert (got.params[1], got.objective, got.n_iter) == (want.params[1], want.objective,
                                                              want.n_iter)


@pytest.mark.parametrize("model", ["scd01", "mlp01"])
@pytest.mark.parametrize("batch_fraction", [0.2, 0.75])
def test_keeping_rows_in_order_changes_nothing_but_speed(monkeypatch, model, batch_fraction):
    from sk01loss._kernels import cpu_mlp01
    kernel = {"scd01": cpu_scd01, "mlp01": cpu_mlp01}[model]
    rng = np.random.default_rng(4)
    X = (rng.random((1500, 30)) * (rng.random((1500, 30)) < rng.uniform(0.05, 0.9, 30)))
    y = (X[:, :15].sum(1) - X[:, 15:].sum(1) + 0.3 * rng.standard_normal(1500) > 0)
    y = y.astype(np.int8)
    XT = np.ascontiguousarray(X.astype(np.float32).T)
    params = SearchParams(max_iter=25, step_size=0.17, n_coordinates=8,
                          batch_fraction=batch_fraction, max_features=1.0, bias_window=20,
                          balanced_fraction=0.2, n_hidden=4, output_step_size=0.2)
    ranked = []
    fits = []
    for keep in (None, True, False):  # the kernel's own choice, then each forced
        if keep is not None:
            monkeypatch.setattr(kernel, "vote_ranking", lambda P, n_batch, keep=keep: (
                cpu_search.rank_rows(P) if keep else cpu_search.NOT_RANKED))
        plan = VotePlan(np.random.SeedSequence(5), y, 30, params)
        ranked.append(cpu_search.vote_ranking(np.zeros(y.size), plan.batch_size).size > 0)
        fits.append(kernel.fit_vote(XT, y, plan, params, cpu_search.describe_columns(XT)))
    assert ranked[0] == (batch_fraction > 0.5)  # batches of more than half the rows
    for params_, obj, n_iter in fits[1:]:
        assert obj == fits[0].objective and n_iter == fits[0].n_iter
        for got, want in zip(params_, fits[0].params):
            np.testing.assert_array_equal(got, want)


def test_bucket_starts_are_reused_only_for_the_same_band_and_bounds():
    from sk01loss._kernels import _threshold as th

    rng = np.random.default_rng(4)
    sorted_p = np.sort(rng.standard_normal(500))
    grid = th.bucket_grid()
    for a, end, low, high in [(10, 400, -0.5, 0.7), (10, 400, -0.5, 0.7), (0, 500, -0.5, 0.7),
                              (10, 400, -0.4, 0.7), (10, 400, -0.4, 0.9), (10, 400, -0.5, 0.7)]:
        n_buckets = int(np.sqrt(end - a))
        inv_width = n_buckets / (high - low)
        cached = th.bucket_starts(sorted_p, a, end, low, high, inv_width, n_buckets, grid)
        fresh = th.bucket_starts(sorted_p, a, end, low, high, inv_width, n_buckets,
                                 th.bucket_grid())
        np.testing.assert_array_equal(cached[:n_buckets + 3], fresh[:n_buckets + 3])
        buckets = [th._bucket(v, low, inv_width, n_buckets) for v in sorted_p[a:end]]
        np.testing.assert_array_equal(fresh[:n_buckets + 3],
                                      a + np.searchsorted(buckets, np.arange(n_buckets + 3)))
