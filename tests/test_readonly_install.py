"""A read-only install, run without HOME or NUMBA_CACHE_DIR (a container image or a
Nix store run by another user): ``fit`` must work, and write nothing into the
package.

The subprocess test compiles every CPU kernel from scratch (about 20 s on two
cores, then a second run that loads them from the cache). As root it runs the fit
as ``nobody`` (uid 65534), a user who owns nothing there; as any other user, as that
user on a ``chmod -R a-w`` copy.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import numba.core.event
import pytest

import sk01loss
from sk01loss._kernels import _jit

NOBODY = 65534

# Runs in the subprocess. As root it first imports what lives under root-only
# directories (the interpreter's standard library here), then becomes nobody.
_SCRIPT = r"""
import json, os, sys, time
import numpy as np, scipy, sklearn, joblib, numba
import numba.core.caching, numba.core.typed_passes, numba.np.ufunc.parallel
import sklearn.base, sklearn.utils.validation, sklearn.ensemble, sklearn.linear_model
if os.getuid() == 0:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
t0 = time.perf_counter()
import sk01loss
from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._kernels._jit import cache_location

rng = np.random.default_rng(0)
X = rng.normal(size=(60, 5))
y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
out = {"uid": os.getuid(), "file": sk01loss.__file__, "shapes": [], "caches": {}}
for est in (SCD01Classifier(n_estimators=1, max_iter=2),
            MLP01Classifier(n_hidden=2, n_estimators=1, max_iter=2)):
    out["shapes"].append(list(est.fit(X, y).predict(X).shape))
out["seconds"] = time.perf_counter() - t0
hits = 0
for name in ("_threshold", "cpu_search", "cpu_mlp01", "scores"):
    module = sys.modules["sk01loss._kernels." + name]
    for attr, f in vars(module).items():
        if isinstance(f, numba.core.registry.CPUDispatcher) and f.signatures:
            out["caches"][name + "." + attr] = cache_location(f)
            hits += sum(f.stats.cache_hits.values())
out["cache_hits"] = hits
print(json.dumps(out))
""".replace("NOBODY", str(NOBODY))


def _others_can_read(path):
    """Whether a user other than the owner can reach and read ``path``: every
    directory above it searchable by others, ``path`` itself readable."""
    path = Path(path).resolve()
    if not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.parents)


def _files(root):
    """Every path under ``root`` with its size and modification time."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


def _chmod_tree(root, remove_write):
    for p in [root, *root.rglob("*")]:
        mode = p.stat().st_mode
        if remove_write:
            p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        else:
            p.chmod(mode | stat.S_IWUSR)


@pytest.fixture
def readonly_install():
    """``base/site/sk01loss``: a read-only copy of the package, in a directory other
    users can read (pytest's ``tmp_path`` is private to its owner)."""
    base = Path(tempfile.mkdtemp(prefix="sk01loss-readonly-"))
    try:
        base.chmod(0o755)
        site = base / "site"
        shutil.copytree(Path(sk01loss.__file__).parent, site / "sk01loss",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc",
                                                      "*.nbi", "*.nbc"))
        _chmod_tree(site, remove_write=True)
        yield base, site
    finally:
        if (base / "site").exists():
            _chmod_tree(base / "site", remove_write=False)
        shutil.rmtree(base, ignore_errors=True)


def test_fit_on_readonly_install_without_home(readonly_install):
    """SLOW (10-60 s, two subprocesses): the first fit compiles the kernels, the
    second loads them from the per-user fallback cache. Nothing is written into
    the package."""
    base, site = readonly_install
    as_root = os.getuid() == 0
    if as_root and not _others_can_read(sys.prefix):
        # nobody could not import Numba's lazily loaded modules from there
        pytest.skip(f"as root the test runs as nobody, who cannot read the interpreter's "
                    f"environment {sys.prefix} (a private directory above it)")
    uid = NOBODY if as_root else os.getuid()
    # Like /tmp: world-writable and sticky; where the fallback cache must go.
    tmp = base / "tmp"
    tmp.mkdir()
    tmp.chmod(0o1777)
    # A user cache directory that cannot be written (no usable ~/.cache/numba).
    xdg = base / "xdg-cache"
    xdg.mkdir()
    xdg.chmod(0o555)

    env = {k: v for k, v in os.environ.items()
           if k not in ("HOME", "PYTHONPATH", "XDG_CACHE_HOME", "TMPDIR")
           and not k.startswith("NUMBA_")}
    env.update(PYTHONPATH=str(site), TMPDIR=str(tmp), XDG_CACHE_HOME=str(xdg))
    before = _files(site)

    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=base, env=env,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        runs[-1]["stderr"] = proc.stderr
    first, second = runs
    # the first fit says once that it compiles; the second, from the cache, says nothing
    assert first["stderr"].count(_jit.CompileNotice.MESSAGE) == 1, first["stderr"][-2000:]
    assert _jit.CompileNotice.MESSAGE not in second["stderr"]

    for run in runs:
        assert run["uid"] == uid
        assert run["file"] == str(site / "sk01loss" / "__init__.py")
        assert run["shapes"] == [[60], [60]]
    assert _files(site) == before, "the run wrote into the installed package"

    # The cache is the private per-user directory, and it was used the second time.
    private = tmp / f"sk01loss-numba-{uid}"
    st = private.lstat()
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == uid
    assert stat.S_IMODE(st.st_mode) == 0o700
    assert first["caches"] and all(
        path is not None and Path(path).parent == private
        for path in first["caches"].values()), first["caches"]
    assert any(private.rglob("*.nbi"))
    assert first["cache_hits"] == 0
    assert second["cache_hits"] > 0
    print(f"first fit {first['seconds']:.1f} s, "
          f"from the cache {second['seconds']:.1f} s")


# -- the choice of the fallback directory, in-process (fast) ----------------------

def test_private_dir_created_private(tmp_path):
    path = _jit.private_cache_dir(str(tmp_path))
    assert path == str(tmp_path / f"sk01loss-numba-{os.getuid()}")
    st = os.lstat(path)
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700
    assert _jit.private_cache_dir(str(tmp_path)) == path  # reused


def test_private_dir_refused_if_others_can_write(tmp_path):
    path = tmp_path / f"sk01loss-numba-{os.getuid()}"
    path.mkdir()
    path.chmod(0o777)
    assert _jit.private_cache_dir(str(tmp_path)) is None
    path.chmod(0o750)
    assert _jit.private_cache_dir(str(tmp_path)) is None


def test_private_dir_refused_if_symlink(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / f"sk01loss-numba-{os.getuid()}").symlink_to(target)
    assert _jit.private_cache_dir(str(tmp_path)) is None


def test_private_dir_refused_in_unsafe_parent(tmp_path):
    tmp_path.chmod(0o777)  # world-writable without the sticky bit
    try:
        assert _jit.private_cache_dir(str(tmp_path)) is None
    finally:
        tmp_path.chmod(0o700)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a file away")
def test_private_dir_refused_if_owned_by_another_user(tmp_path):
    path = tmp_path / f"sk01loss-numba-{os.getuid()}"
    path.mkdir(mode=0o700)
    os.chown(path, NOBODY, NOBODY)
    assert _jit.private_cache_dir(str(tmp_path)) is None


def test_private_dir_none_when_parent_read_only(tmp_path):
    if os.getuid() == 0:
        pytest.skip("root can write anywhere")
    tmp_path.chmod(0o500)
    try:
        assert _jit.private_cache_dir(str(tmp_path)) is None
    finally:
        tmp_path.chmod(0o700)


def test_compile_notice_is_given_once_for_the_package_kernels():
    import io

    notice = _jit.CompileNotice(stream=io.StringIO())

    def kernel(x):
        return x + 1

    def user_function(x):
        return x - 1

    kernel.__module__ = "sk01loss._kernels.example"
    user_function.__module__ = "user_code"
    numba.core.event.register("numba:compile", notice)
    try:
        numba.njit(user_function)(1)  # not ours: nothing said
        assert notice.stream.getvalue() == ""
        numba.njit(kernel)(1)
        numba.njit(kernel)(1.5)  # a second compilation: said once only
    finally:
        numba.core.event.unregister("numba:compile", notice)
    assert notice.stream.getvalue() == _jit.CompileNotice.MESSAGE + "\n"
