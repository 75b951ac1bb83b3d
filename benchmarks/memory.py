"""Peak memory of fit and predict on MNIST-sized data, against the documented budget.

Fits SCD01 and MLP01 (2 votes, ``--max-iter`` iterations: memory does not grow with
iterations) on the 60000 x 784 MNIST training images as uint8 pixels (0..255, the
usual format), and predicts the same images as float32 and as uint8. Prints, for each, the peak
resident memory the call added (Linux ``VmHWM``, reset before the call) in MiB and
as a multiple of the input's size, next to the budget of docs/performance.md: fit
holds the data once in float32 (4 bytes per value) plus the non-zero lists of the
columns (4 bytes per listed non-zero) and O(n_samples) per vote in flight; predict
holds at most ``sk01loss._kernels.scores.CHUNK_BYTES`` of rows besides its output.
"""

import os
import time

import numpy as np

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss._kernels.scores import CHUNK_BYTES
from sk01loss.datasets import load_mnist

from ._common import DEFAULT_DATA, environment, load_checked, resolve_data_dir

MIB = 1 << 20


def add_arguments(parser):
    parser.add_argument("--data-dir", default=DEFAULT_DATA,
                        help="the datasets folder that holds mnist/, or the MNIST folder "
                             "itself (default: $SK01LOSS_DATA or %(default)s)")
    parser.add_argument("--max-iter", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=1)


def _status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_added(func, *args):
    """Bytes of resident memory ``func(*args)`` added at its peak, and its result."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # resets VmHWM, the peak resident set, to the current one
    before = _status("VmRSS")
    start = time.perf_counter()
    result = func(*args)
    return _status("VmHWM") - before, time.perf_counter() - start, result


def run(args):
    X, y = load_checked(load_mnist, resolve_data_dir(args.data_dir, "mnist"), "train")
    pixels = np.rint(X * 255).astype(np.uint8)
    del X
    X32 = pixels.astype(np.float32) / np.float32(255)
    target = (y == 0).astype(int)
    print(environment())
    non_zero = np.count_nonzero(pixels)
    print(f"data: {pixels.shape[0]} x {pixels.shape[1]}, uint8 {pixels.nbytes / MIB:.0f} MiB "
          f"(float32 {X32.nbytes / MIB:.0f} MiB), {non_zero / pixels.size:.1%} non-zero",
          flush=True)
    for Estimator in (SCD01Classifier, MLP01Classifier):
        name = Estimator.__name__
        model = Estimator(n_estimators=2, max_iter=args.max_iter, random_state=0,
                          n_jobs=args.n_jobs)
        model.fit(pixels[:500], target[:500]).predict(X32[:10])  # compile outside
        budget = 4 * pixels.size + 4 * non_zero
        added, seconds, _ = peak_added(model.fit, pixels, target)
        print(f"{name} fit on uint8: peak +{added / MIB:.0f} MiB = "
              f"{added / pixels.nbytes:.1f} x the uint8 input "
              f"(budget: float32 copy + non-zero lists = {budget / MIB:.0f} MiB, "
              f"ratio {added / budget:.2f}); {seconds:.1f} s", flush=True)
        for data in (X32, pixels):
            added, seconds, _ = peak_added(model.predict, data)
            budget = CHUNK_BYTES + 8 * len(data)
            print(f"{name} predict on {data.dtype}: peak +{added / MIB:.0f} MiB = "
                  f"{added / data.nbytes:.2f} x the input "
                  f"(budget: {CHUNK_BYTES / MIB:.0f} MiB of chunks + the counts = "
                  f"{budget / MIB:.1f} MiB, ratio {added / budget:.2f}); {seconds:.1f} s",
                  flush=True)
