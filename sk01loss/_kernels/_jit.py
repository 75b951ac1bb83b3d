"""The one Numba decorator of the CPU kernels: ``njit(nogil=True)`` with an on-disk
cache wherever a safe, writable place for it exists.

``numba.njit(cache=True)`` gives up with "cannot cache function ...: no locator
available" (at import or at the first call) when none of Numba's cache locations is
writable: ``NUMBA_CACHE_DIR``, the package's own ``__pycache__`` and the user's
cache directory (``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba``). That is the case
of a read-only install (a container image, a Nix store) run by a user without a
writable home. :func:`jit` therefore

1. uses Numba's own choice whenever Numba finds a usable location (so
   ``NUMBA_CACHE_DIR`` keeps its documented meaning and nothing changes for a normal
   install);
2. else caches in a private per-user directory, ``<tempdir>/sk01loss-numba-<uid>``,
   but only if it is a real directory (not a link) owned by the current user and
   not accessible to anyone else (mode 0700), created here if missing. Numba's
   cache files are pickles, i.e. code: a directory another user could write to
   would let them run code in this process, so such a directory is never used;
3. else compiles without a cache (every new process compiles again).

Nothing here may make an import fail: any unexpected error ends in case 3.

The first time a process compiles one of the package's kernels (a new environment,
or one whose cache cannot be written), one line on stderr says so, as the fit pauses
for it (:class:`CompileNotice`).
"""

import functools
import os
import stat
import sys
import tempfile
import threading

import numba
import numba.core.event

__all__ = ["jit", "cache_location", "CompileNotice"]

_NJIT_OPTIONS = {"nogil": True}

_lock = threading.Lock()
_UNSET = object()
_private_dir_result = _UNSET


def _private_dir_name():
    return f"sk01loss-numba-{os.getuid()}"


def _safe_parent(path):
    """The parent of the private directory must not let others swap it: owned by us
    or root, and if others may write to it, sticky (like ``/tmp``)."""
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        return False
    if st.st_uid not in (0, os.getuid()):
        return False
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not st.st_mode & stat.S_ISVTX:
        return False
    return True


def _owned_private_dir(path):
    """Whether ``path`` is a real directory of ours that nobody else can touch."""
    st = os.lstat(path)
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def private_cache_dir(parent=None):
    """The per-user fallback cache directory, created if missing, or ``None`` when
    there is no safe and writable one. ``parent`` defaults to
    :func:`tempfile.gettempdir`."""
    if not hasattr(os, "getuid"):  # no ownership to check (Windows)
        return None
    try:
        parent = tempfile.gettempdir() if parent is None else parent
        if not _safe_parent(parent):
            return None
        path = os.path.join(parent, _private_dir_name())
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        if not _owned_private_dir(path):
            return None
        # Writable for real (e.g. not a read-only file system).
        tempfile.TemporaryFile(dir=path).close()
        return path
    except OSError:
        return None


def _fallback_dir():
    """The private directory chosen for this process (decided once), or ``None``."""
    global _private_dir_result
    with _lock:
        if _private_dir_result is _UNSET:
            _private_dir_result = private_cache_dir()
        return _private_dir_result


def _still_private():
    """Checked again before each load and save: the directory may have been removed
    (a temp cleaner) and replaced by someone else's since the import."""
    base = _fallback_dir()
    return base is not None and private_cache_dir(os.path.dirname(base)) == base


@functools.lru_cache(maxsize=None)
def _private_cache_class():
    """A ``FunctionCache`` whose only locator is the private directory."""
    from numba.core import caching

    class PrivateDirLocator(caching._SourceFileBackedLocatorMixin,
                            caching._CacheLocator):
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = os.path.join(
                _fallback_dir(), self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if _fallback_dir() is None:
                return None
            return super().from_function(py_func, py_file)

    class PrivateDirCacheImpl(caching.CompileResultCacheImpl):
        _locator_classes = [PrivateDirLocator]

    class PrivateDirFunctionCache(caching.FunctionCache):
        _impl_class = PrivateDirCacheImpl

        def load_overload(self, sig, target_context):
            if not _still_private():
                return None
            return super().load_overload(sig, target_context)

        def save_overload(self, sig, data):
            if not _still_private():
                return
            try:
                super().save_overload(sig, data)
            except OSError:
                pass  # e.g. disk full: the compiled function is still used

    return PrivateDirFunctionCache


def _enable_cache(dispatcher):
    try:
        dispatcher.enable_caching()  # Numba's own locators, NUMBA_CACHE_DIR first
        return
    except Exception:  # "no locator available", or anything else: try the next
        pass
    try:
        if _fallback_dir() is not None:
            dispatcher._cache = _private_cache_class()(dispatcher.py_func)
    except Exception:
        pass  # no cache: the dispatcher keeps its NullCache


def jit(func):
    """``numba.njit(cache=True, nogil=True)(func)``, with the cache only where safe."""
    dispatcher = numba.njit(**_NJIT_OPTIONS)(func)
    if hasattr(dispatcher, "enable_caching"):  # not when NUMBA_DISABLE_JIT=1
        _enable_cache(dispatcher)
    return dispatcher


def cache_location(dispatcher):
    """Where ``dispatcher`` (a function decorated by :func:`jit`) is cached, or
    ``None`` when it is not."""
    cache = getattr(dispatcher, "_cache", None)
    return getattr(cache, "cache_path", None)


class CompileNotice(numba.core.event.Listener):
    """Says once per process, on stderr, that the package's kernels are being
    compiled: the first fit in a new environment pauses for it (15-25 s), and the
    compiled kernels are then cached for later processes."""

    MESSAGE = ("sk01loss: compiling the CPU kernels with Numba; this happens once per "
               "environment and takes 15-25 s (later processes load them from the cache).")

    def __init__(self, stream=None):
        self.stream = stream
        self.given = False

    def on_start(self, event):
        dispatcher = (event.data or {}).get("dispatcher")
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if not self.given and module.startswith("sk01loss."):
            self.given = True
            print(self.MESSAGE, file=self.stream or sys.stderr, flush=True)

    def on_end(self, event):
        pass


try:  # Numba's event API: "numba:compile" fires on compilation, not on cache loads
    numba.core.event.register("numba:compile", CompileNotice())
except Exception:  # pragma: no cover - an older or newer Numba without it
    pass
