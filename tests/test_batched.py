"""The batched algorithm (the GPU back-end's code, run here with NumPy) against the
Numba kernels, the CUDA kernels against the array code they replace (on a GPU), and
the ``device`` parameter."""

import pickle

import numpy as np
import pytest

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._kernels import (batched_mlp01, batched_scd01, batched_search, cpu_mlp01,
                               cpu_scd01, cpu_search, cuda_status, get_kernel)
from sk01loss._plans import SearchParams, VotePlan

from .test_kernel_scd01 import draw_step, make_problem


def integer_problem(seed, n=300, d=10):
    """Integer-valued float64 features: no rounding differences between back-ends."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, (n, d)).astype(np.float64) * (rng.random((n, d)) < 0.6)
    y = ((X[:, 0] - 1.5) * (X[:, 1] - 1.5) + rng.integers(-1, 2, n) > 0).astype(np.int8)
    return X, y


def array_namespaces():
    """NumPy everywhere; CuPy (the CUDA kernels too) where a GPU is."""
    return ["numpy", pytest.param("cupy", marks=pytest.mark.gpu)]


@pytest.mark.parametrize("xp_name", array_namespaces())
@pytest.mark.parametrize("n_buckets, bound", [(1, 1.0), (2, 1.0), (5, 1.0), (1024, 1.0),
                                              (1024, 0.0), (7, 1e3)])
@pytest.mark.parametrize("data", ["gaussian", "sparse", "ties", "shifted"])
def test_window_search_matches_numba_for_any_bucketing(data, n_buckets, bound, xp_name):
    """The histogram only says which rows to sort: few buckets (many rows gathered),
    many buckets, and value ranges too narrow (bound 0) or too wide must all find
    the same thresholds as the Numba kernel."""
    xp = pytest.importorskip(xp_name)
    rng = np.random.default_rng([n_buckets, len(data)])
    for _ in range(10):
        X, y = make_problem(rng, data)
        batch, coords, _ = draw_step(rng, X, y)
        step = float(rng.choice([0.17, 0.5, 2.0]))
        window = int(rng.choice([1, 3, 20]))
        kind = int(rng.integers(2))
        W = rng.standard_normal((3, X.shape[1]))
        W /= np.linalg.norm(W, axis=1, keepdims=True)
        XT = np.ascontiguousarray(X.T)
        P = np.stack([cpu_search.project(XT, w) for w in W])
        zeros, ones = np.zeros_like(P, dtype=np.int8), np.ones_like(P, dtype=np.int8)
        inputs = (XT, bound * np.abs(XT).max(axis=1), P, W, y, zeros, ones,
                  np.stack([batch] * 3), np.stack([coords] * 3))
        got = batched_search.search_steps(xp, *map(xp.asarray, inputs), step, window, kind,
                                          n_buckets=n_buckets, flipped=True)
        got = [batched_search.to_host(a) for a in got]
        constant = X.min(0)[coords] == X.max(0)[coords]
        for v, w in enumerate(W):
            want = cpu_search.search_step(XT, P[v], w, y, 0 * y, 1 + 0 * y, batch, coords, step,
                                         window, kind, cpu_search.describe_columns(XT),
                                         cpu_search.NOT_RANKED, True)
            t0, obj0, bias0, c, t, obj, bias, *flipped = (a[v] for a in got)
            assert (t0, obj0, bias0) == want[:3]
            assert tuple(flipped) == want[7:]  # the full scan of -w
            if not constant.any() or want[5] > want[1]:  # the kernel skips constant columns
                assert (c, t, obj, bias) == want[3:7]


def row_counts(rng, V, n_b, counts):
    """tp_drop, tn_gain (V, n_b): integers -1, 0, 1, or (``counts`` float64, sample
    weights) float64 multiples of 1/8, whose sums are exact in any order."""
    scale_counts = 1 if counts == np.int64 else rng.integers(1, 80, (V, n_b)) / 8
    return ((rng.integers(-1, 2, (V, n_b)) * scale_counts).astype(counts) for _ in range(2))


def cuda_kernel_inputs(shared, dtype, counts):
    """NumPy inputs of the CUDA kernels: ``(args, n_buckets, tp_drop, tn_gain, first,
    last, w)`` for 3 votes x 5 candidates of 700 rows (several 256-row tiles), with
    ties, a candidate of zero scale, and row counts of dtype ``counts``
    (``row_counts``)."""
    rng = np.random.default_rng(0)
    V, C, d, n, n_b, n_buckets = 3, 5, 7, 900, 700, 6
    XT = rng.standard_normal((d, n) if shared else (V, d, n)).astype(dtype)
    XT[..., :300] = 0.0  # ties
    low, high = rng.uniform(-2, 0, (V, C)), rng.uniform(0, 2, (V, C))
    scale = n_buckets / (high - low)
    scale[0, 0] = 0.0  # a candidate whose rows in range share bucket 1
    args = [XT, rng.standard_normal((V, n_b)),
            np.stack([rng.choice(n, n_b, replace=False) for _ in range(V)]),
            rng.integers(0, d, (V, C)), rng.choice([-0.3, 0.3], C), low, high, scale]
    tp_drop, tn_gain = row_counts(rng, V, n_b, counts)
    first = rng.integers(0, n_buckets + 2, (V, C))
    last = np.minimum(first + rng.integers(0, 3, (V, C)), n_buckets + 1)
    return args, n_buckets, tp_drop, tn_gain, first, last, rng.standard_normal((5, 300))


def assert_same_bits(got, want, what):
    got, want = batched_search.to_host(got), batched_search.to_host(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (
        what, got.dtype, want.dtype, got.shape, want.shape)
    np.testing.assert_array_equal(got, want, err_msg=what)
    assert got.tobytes() == want.tobytes(), f"{what}: same values, different bits"


def check_cuda_kernels(cuda, xp, args, n_buckets, tp_drop, tn_gain, first, last, w):
    """The kernels of ``cuda`` (``_cuda``, or its twin on the CPU emulator) on arrays
    of ``xp`` equal the array code bit for bit, and ``gather`` gives the same bytes
    twice."""
    args, tp_drop, tn_gain, first, last = (
        [xp.asarray(a) for a in args], xp.asarray(tp_drop), xp.asarray(tn_gain),
        xp.asarray(first), xp.asarray(last))
    assert_same_bits(cuda.bucket_counts(*args, n_buckets),
                     batched_search._bucket_counts_array(xp, *args, n_buckets), "bucket_counts")
    _, bucket = batched_search._candidates_array(xp, *args, n_buckets)
    size = int(((bucket >= first[..., None]) & (bucket <= last[..., None])).sum(-1).max())
    window = (n_buckets, tp_drop, tn_gain, first, last, size)
    got = cuda.gather(*args, *window)
    names = ["values", "win_drop", "win_gain", "drop_below", "gain_below"]
    for name, again, part in zip(names, cuda.gather(*args, *window), got):
        assert_same_bits(again, part, f"gather {name}, second run")
    for name, part, want in zip(names, got, batched_search._gather_array(xp, *args, *window)):
        assert_same_bits(part, want, f"gather {name}")
    assert_same_bits(cuda.sequential_sum_of_squares(xp.asarray(w)),
                     batched_search._sequential_sum_of_squares(np, w), "sequential_sum_of_squares")


@pytest.mark.gpu
@pytest.mark.parametrize("counts", [np.int64, np.float64])
@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cuda_kernels_equal_the_array_code(shared, dtype, counts):
    """Bit for bit, with integer row counts and with float64 (sample-weighted) ones
    (tests/test_cuda_emulated.py runs the same check without a GPU)."""
    cupy = pytest.importorskip("cupy")
    from sk01loss._kernels import _cuda

    check_cuda_kernels(_cuda, cupy, *cuda_kernel_inputs(shared, dtype, counts))


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("max_features", [1.0, 0.6])
def test_batched_scd01_fits_the_same_votes_as_numba(seed, max_features, flip):
    X, y = integer_problem(seed)
    params = SearchParams(max_iter=50, step_size=0.17, n_coordinates=4, batch_fraction=0.75,
                          max_features=max_features, bias_window=8, balanced_fraction=0.2,
                          flip_orientation=flip)
    XT = np.ascontiguousarray(X.T)
    seeds = np.random.SeedSequence(seed).spawn(3)
    plans = [VotePlan(s, y, X.shape[1], params) for s in seeds]
    # a tiny memory budget forces one candidate per chunk: chunking must not matter
    got = batched_scd01.fit_votes(XT, y, plans, params, max_bytes=1)
    for s, ((w, b), obj, _) in zip(seeds, got):
        (w_ref, b_ref), obj_ref, _ = cpu_scd01.fit_vote(
            XT, y, VotePlan(s, y, X.shape[1], params), params, cpu_search.describe_columns(XT))
        assert obj == obj_ref and b == b_ref
        np.testing.assert_array_equal(w, w_ref)


@pytest.mark.parametrize("bias_init", ["median", "authors"])
@pytest.mark.parametrize("seed", range(3))
def test_batched_mlp01_fits_the_same_votes_as_numba(seed, bias_init):
    X, y = integer_problem(seed)
    params = SearchParams(max_iter=40, step_size=0.17, n_coordinates=4, batch_fraction=0.75,
                          max_features=1.0, bias_window=8, balanced_fraction=0.2,
                          n_hidden=5, output_step_size=0.2, bias_init=bias_init)
    XT = np.ascontiguousarray(X.T)
    seeds = np.random.SeedSequence(seed).spawn(3)
    got = batched_mlp01.fit_votes(XT, y, [VotePlan(s, y, X.shape[1], params) for s in seeds],
                                  params)
    for s, (parts, obj, _) in zip(seeds, got):
        ref_parts, obj_ref, _ = cpu_mlp01.fit_vote(
            XT, y, VotePlan(s, y, X.shape[1], params), params, cpu_search.describe_columns(XT))
        assert obj == obj_ref
        for part, ref_part in zip(parts, ref_parts):
            np.testing.assert_array_equal(part, ref_part)


BATCHED_DEVICES = ["numpy", pytest.param("cuda", marks=pytest.mark.gpu)]


@pytest.mark.parametrize("device", BATCHED_DEVICES)
@pytest.mark.parametrize("Estimator", [SCD01Classifier, MLP01Classifier])
def test_estimator_on_the_batched_path_equals_cpu(Estimator, device):
    X, y = integer_problem(0, n=240, d=6)
    y3 = y + (X[:, 2] > 1)  # three classes: one-vs-all
    kwargs = dict(n_estimators=3, max_iter=30, random_state=0)
    cpu = Estimator(**kwargs).fit(X, y3)
    # n_jobs=2: the problems of a batched kernel are fitted in processes
    batched = Estimator(**kwargs, device=device, n_jobs=2).fit(X, y3)
    # grown in steps with warm_start: each call batches a different set of votes
    grown = Estimator(**{**kwargs, "n_estimators": 1}, warm_start=True, device=device)
    grown.fit(X, y3).set_params(n_estimators=3).fit(X, y3)
    for name in cpu._vote_attributes:
        np.testing.assert_array_equal(getattr(cpu, name), getattr(batched, name))
        np.testing.assert_array_equal(getattr(cpu, name), getattr(grown, name))
    kernel = get_kernel(Estimator._model, device)
    assert (kernel.votes_per_call, kernel.prefer) == (None, "processes")
    assert get_kernel(Estimator._model, "cpu").prefer == "threads"


@pytest.mark.parametrize("device", BATCHED_DEVICES)
@pytest.mark.parametrize("Estimator, params", [
    (SCD01Classifier, dict(step_size=1.0)),  # one feature: w = +-1, a step of 1 zeroes it
    (MLP01Classifier, dict(step_size=1.0, n_hidden=2)),
    (MLP01Classifier, dict(output_step_size=1.0, n_hidden=1)),  # one output weight, +-1
])
def test_a_step_that_would_leave_no_weights_is_skipped(Estimator, params, device):
    """Where a vote's weights are a single coordinate equal to the step, the step that
    would zero them is no candidate (it raised ZeroDivisionError): every backend fits,
    and fits the same model."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 1))
    y = (X[:, 0] + 0.5 * rng.standard_normal(120) > 0).astype(int)
    kwargs = dict(n_estimators=4, max_iter=40, random_state=0, tol=None, **params)
    cpu = Estimator(**kwargs).fit(X, y)
    batched = Estimator(**kwargs, device=device).fit(X, y)
    for name in cpu._vote_attributes:
        assert np.all(np.isfinite(getattr(cpu, name)))
        np.testing.assert_array_equal(getattr(cpu, name), getattr(batched, name))
    np.testing.assert_array_equal(cpu.predict(X), batched.predict(X))


@pytest.mark.skipif(cuda_status() is None, reason="CuPy and a GPU are available")
def test_cuda_without_a_gpu_says_what_is_missing():
    X, y = integer_problem(0, n=60, d=4)
    with pytest.raises(RuntimeError, match="device='cuda' cannot be used: .*(CuPy|GPU)"):
        SCD01Classifier(n_estimators=1, max_iter=5, device="cuda").fit(X, y)
    auto = SCD01Classifier(n_estimators=1, max_iter=5, device="auto", random_state=0).fit(X, y)
    cpu = SCD01Classifier(n_estimators=1, max_iter=5, device="cpu", random_state=0).fit(X, y)
    np.testing.assert_array_equal(auto.coef_, cpu.coef_)


def test_unknown_device_is_refused():
    X, y = integer_problem(0, n=60, d=4)
    with pytest.raises(ValueError, match="device"):
        SCD01Classifier(device="tpu").fit(X, y)


@pytest.mark.gpu
@pytest.mark.parametrize("Estimator", [SCD01Classifier, MLP01Classifier])
def test_cuda_fits_the_cpu_model_and_pickles_as_numpy(Estimator):
    X, y = integer_problem(1, n=400, d=8)
    kwargs = dict(n_estimators=4, max_iter=40, random_state=0)
    cpu = Estimator(**kwargs).fit(X, y)
    gpu = Estimator(**kwargs, device="cuda").fit(X, y)
    for name in cpu._vote_attributes + ("train_objective_",):
        assert type(getattr(gpu, name)) is np.ndarray
        np.testing.assert_array_equal(getattr(cpu, name), getattr(gpu, name))
    restored = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_array_equal(restored.predict(X), cpu.predict(X))


@pytest.mark.parametrize("device", BATCHED_DEVICES)
@pytest.mark.parametrize("Estimator", [SCD01Classifier, MLP01Classifier])
def test_one_vs_all_in_processes_on_memmapped_data_equals_cpu(Estimator, device):
    """joblib hands data over 1 MB to worker processes as a read-only memmap: the
    batched problems must fit the CPU model from it too."""
    X, y = integer_problem(2, n=2000, d=80)
    assert X.T.nbytes > 1e6  # joblib's default max_nbytes
    y3 = y + (X[:, 2] > 1)
    kwargs = dict(n_estimators=2, max_iter=15, random_state=0)
    cpu = Estimator(**kwargs).fit(X, y3)
    batched = Estimator(**kwargs, device=device, n_jobs=2).fit(X, y3)
    for name in cpu._vote_attributes + ("train_objective_",):
        assert type(getattr(batched, name)) is np.ndarray
        np.testing.assert_array_equal(getattr(cpu, name), getattr(batched, name))


@pytest.mark.parametrize("n_threads", [1, 2, 5])
def test_prefetched_draws_are_each_plans_own_stream(n_threads):
    """However many host threads draw, vote v's iteration it is the it-th draw of its
    plan, as the Numba kernels consume them."""
    X, y = integer_problem(4)
    params = SearchParams(max_iter=6, step_size=0.17, n_coordinates=3, batch_fraction=0.5,
                          max_features=0.7, bias_window=8, balanced_fraction=0.2, n_hidden=3)
    seeds = np.random.SeedSequence(4).spawn(5)
    draws = list(batched_search.prefetched(
        np, [VotePlan(s, y, X.shape[1], params) for s in seeds], 6,
        lambda plan, it: plan.mlp01_draws(it), n_threads=n_threads))
    assert len(draws) == 6
    for v, seed in enumerate(seeds):
        plan = VotePlan(seed, y, X.shape[1], params)
        for it in range(6):
            for got, want in zip(draws[it], plan.mlp01_draws(it)):
                np.testing.assert_array_equal(got[v], want)
