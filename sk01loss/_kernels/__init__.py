"""Kernel back-ends. Each module implements one model's search with the same
functional signature; the estimators pick one by name and never see Numba types."""

from importlib import import_module

_MODULES = {("scd01", "cpu"): "cpu_scd01", ("mlp01", "cpu"): "cpu_mlp01"}


def get_kernel(model, device="cpu"):
    """Kernel module fitting votes of ``model`` (``"scd01"``/``"mlp01"``) on ``device``."""
    return import_module(f"{__name__}.{_MODULES[model, device]}")
