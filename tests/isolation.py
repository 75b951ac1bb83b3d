"""Run generated cases that could crash the interpreter in a child process.

A segfault in a kernel would kill the whole test run; here it kills a worker
process instead, and the test that sent the case fails naming it. The worker
lives for the test session, so Numba compiles once.
"""

import atexit
import multiprocessing
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

_pool = None


def _executor():
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1,
                                    mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown, cancel_futures=True)
    return _pool


def _call(func, args):
    try:
        return "ok", func(*args)
    except Exception as exc:  # sent back to the parent to be judged there
        return "raised", (type(exc), str(exc), traceback.format_exc())


def run_isolated(func, *args, timeout=120):
    """``func(*args)`` in the worker: ``("ok", result)`` or ``("raised", (type,
    message, traceback))``. A crash of the worker (signal, abort) fails the calling
    test with the case's arguments in the message; a new worker serves the next case."""
    global _pool
    try:
        return _executor().submit(_call, func, args).result(timeout=timeout)
    except BrokenProcessPool:
        _pool = None
        raise AssertionError(f"{func.__name__} crashed the interpreter on {args!r}") from None
