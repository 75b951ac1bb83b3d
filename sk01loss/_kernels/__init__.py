"""Kernel back-ends behind one functional interface.

Layout, one job per module:

- ``core``: objective codes, the balanced-then-plus ``Schedule``, ``decode_step``,
  the named results ``SearchResult`` and ``VoteResult``;
- the coordinate search once per back-end: ``cpu_search`` (Numba, one vote) and
  ``batched_search`` (array code over all votes of a problem, on NumPy or CuPy;
  ``_cuda`` holds its CUDA kernels), with ``_threshold`` the Numba threshold scans;
- one vote loop per model and back-end: ``cpu_scd01``, ``cpu_mlp01``,
  ``batched_scd01``, ``batched_mlp01``; every random draw comes from the vote's
  ``VotePlan`` (``sk01loss._plans``), in one order all back-ends consume;
- ``scores``: the prediction kernel (which side of its boundary each row falls);
- ``_jit``: the one Numba decorator.

``get_kernel(model, backend)`` returns a :class:`Kernel`: ``describe_columns(XT)``
summarises the feature-major training data once per fit, as a tuple of arrays
(whatever the kernel needs to know about its columns; empty for the batched
kernels); ``fit_votes(XT, y, plans, params, columns, report)`` fits the votes of
``plans`` on one binary problem, given that tuple's arrays in order (the estimators
pass them as separate arguments, which joblib's Dask backend ships once like the
data, where a tuple would travel inline with every task), and returns a
``VoteResult`` per plan; ``votes_per_call`` says how many plans a call should get
at most (the Numba kernels, which the estimators parallelise with joblib: a few
where their starts share a pass over the data, fewer where the workers would
otherwise wait; ``None`` = all votes of a problem for the batched kernels, which
parallelise inside); ``prefer``
is the joblib parallelism its calls want side by side (``"threads"`` for the Numba
kernels, which release the GIL; ``"processes"`` for the batched ones, whose host
work holds it). The estimators never see Numba or CuPy: CuPy is imported only when
the CUDA back-end is asked for.
"""

from collections import namedtuple
from functools import partial
from importlib import import_module

Kernel = namedtuple("Kernel", ["describe_columns", "fit_votes", "votes_per_call", "prefer"])

#: Back-ends: ``"cpu"`` (Numba), and the batched algorithm on an array namespace,
#: ``"cuda"`` (CuPy) or ``"numpy"`` (NumPy: the GPU's algorithm on any machine).
BACKENDS = ("cpu", "cuda", "numpy")

#: Values of the estimators' ``device`` parameter: a back-end of :data:`BACKENDS`, or
#: ``"auto"`` (CUDA when usable, else the CPU).
DEVICES = ("cpu", "cuda", "numpy", "auto")


def cuda_status():
    """``None`` if a CUDA GPU is usable through CuPy, else what is missing."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install 'sk01loss[gpu]')"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy sees no CUDA GPU"
    except Exception as exc:  # CUDA driver/runtime errors have no common base class
        return f"CuPy cannot reach a CUDA GPU ({exc})"
    return None


def resolve_device(device):
    """The back-end of :data:`BACKENDS` for the estimator parameter ``device``."""
    if device == "auto":
        return "cuda" if cuda_status() is None else "cpu"
    if device == "cuda":
        missing = cuda_status()
        if missing is not None:
            raise RuntimeError(f"device='cuda' cannot be used: {missing}. "
                               "Use device='cpu' or device='auto'.")
    return device


def get_namespace(backend):
    """The array module of a batched back-end (``"numpy"`` or ``"cuda"``)."""
    if backend == "cuda":
        import cupy

        return cupy
    if backend == "numpy":
        import numpy

        return numpy
    raise ValueError(f"unknown batched back-end {backend!r}; use 'numpy' or 'cuda'.")


def _cpu_fit_votes(fit_votes, XT, y, plans, params, columns, report=None):
    from .cpu_search import Columns

    # the arrays travel as a plain tuple (see get_kernel)
    return fit_votes(XT, y, plans, params, Columns(*columns), report)


def _no_columns(XT):
    return ()  # the batched kernels read whole columns: nothing to prepare


def get_kernel(model, backend="cpu"):
    """:class:`Kernel` for ``model`` (``"scd01"`` or ``"mlp01"``) on a back-end of
    :data:`BACKENDS`."""
    if backend == "cpu":
        from .cpu_search import describe_columns

        module = import_module(f"{__name__}.cpu_{model}")
        return Kernel(describe_columns, partial(_cpu_fit_votes, module.fit_votes),
                      module.VOTES_PER_CALL, "threads")
    xp = get_namespace(backend)
    module = import_module(f"{__name__}.batched_{model}")
    return Kernel(_no_columns, partial(module.fit_votes, xp=xp), None, "processes")
