"""Kernel back-ends behind one functional interface.

``get_kernel(model, device)`` returns a :class:`Kernel`: ``describe_columns(XT)``
summarises the feature-major training data once per fit (whatever the kernel needs
to know about its columns, or ``None``); ``fit_votes(XT, y, plans, params, columns,
report)`` fits the votes of ``plans`` (see ``sk01loss._plans``) on one binary problem
and returns ``[(vote parameters, best objective), ...]``; ``votes_per_call`` says how
many plans a call should get (1 for the Numba kernels, which the estimators
parallelise with joblib; ``None`` = all votes of a problem for the batched kernels,
which parallelise inside). The estimators never see Numba or CuPy: CuPy is imported
only when the CUDA back-end is asked for.
"""

from collections import namedtuple
from functools import partial
from importlib import import_module

Kernel = namedtuple("Kernel", ["describe_columns", "fit_votes", "votes_per_call"])

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


def _per_vote(fit_vote, XT, y, plans, params, columns, report=None):
    return [fit_vote(XT, y, plan, params, columns, report) for plan in plans]


def _no_columns(XT):
    return None  # the batched kernels read whole columns: nothing to prepare


def get_kernel(model, device="cpu"):
    """Kernel for ``model`` (``"scd01"`` or ``"mlp01"``) on a resolved device:
    ``"cpu"`` (Numba), ``"cuda"`` (the batched algorithm on CuPy) or ``"numpy"``
    (the batched algorithm on NumPy, to test it anywhere)."""
    if device == "cpu":
        from .cpu_scd01 import describe_columns

        module = import_module(f"{__name__}.cpu_{model}")
        return Kernel(describe_columns, partial(_per_vote, module.fit_vote), 1)
    from . import batched

    if device == "cuda":
        import cupy as xp
    elif device == "numpy":
        import numpy as xp
    else:
        raise ValueError(f"unknown device {device!r}")
    return Kernel(_no_columns, partial(getattr(batched, f"fit_votes_{model}"), xp=xp), None)
