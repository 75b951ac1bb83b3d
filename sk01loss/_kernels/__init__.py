"""Kernel back-ends behind one functional interface.

``get_kernel(model, device)`` returns a :class:`Kernel`: ``fit_votes(XT, y, plans,
params, colmin, colmax, report)`` fits the votes of ``plans`` (see
``sk01loss._plans``) on one binary problem and returns ``[(vote parameters, best
objective), ...]``; ``votes_per_call`` says how many plans a call should get (1 for
the Numba kernels, which the estimators parallelise with joblib; ``None`` = all votes
of a problem for the batched kernels, which parallelise inside). The estimators never
see Numba or CuPy: CuPy is imported only when the CUDA back-end is asked for.
"""

from collections import namedtuple
from functools import partial
from importlib import import_module

Kernel = namedtuple("Kernel", ["fit_votes", "votes_per_call"])

DEVICES = ("cpu", "cuda", "auto")


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
    """``"cpu"`` or ``"cuda"`` for the estimator parameter ``device``."""
    if device == "auto":
        return "cuda" if cuda_status() is None else "cpu"
    if device == "cuda":
        missing = cuda_status()
        if missing is not None:
            raise RuntimeError(f"device='cuda' cannot be used: {missing}. "
                               "Use device='cpu' or device='auto'.")
    return device


def _per_vote(fit_vote, XT, y, plans, params, colmin, colmax, report=None):
    return [fit_vote(XT, y, plan, params, colmin, colmax, report) for plan in plans]


def get_kernel(model, device="cpu"):
    """Kernel for ``model`` (``"scd01"`` or ``"mlp01"``) on a resolved device:
    ``"cpu"`` (Numba), ``"cuda"`` (the batched algorithm on CuPy) or ``"numpy"``
    (the batched algorithm on NumPy, to test it anywhere)."""
    if device == "cpu":
        module = import_module(f"{__name__}.cpu_{model}")
        return Kernel(partial(_per_vote, module.fit_vote), 1)
    from . import batched

    if device == "cuda":
        import cupy as xp
    elif device == "numpy":
        import numpy as xp
    else:
        raise ValueError(f"unknown device {device!r}")
    return Kernel(partial(getattr(batched, f"fit_votes_{model}"), xp=xp), None)
