"""Seconds per vote on MNIST class 0 vs all, paper settings, one core.

Fits one vote (``n_estimators=1``) of SCD01 (500 iterations) or MLP01 (20 hidden
units, 1000 iterations) with 64 coordinates, batches of 75 % of each class, step
0.17 and bias window 20 on the 60000 x 784 MNIST training set. Prints process CPU
seconds and wall seconds per vote, the CPU ratio to the target (SCD01 1 s, MLP01 3 s
per vote), what of it a fit costs besides its iterations (the CPU of a one-iteration
fit of the same vote: the feature-major copy of the data, the column lists, the
vote's start) and the CPU per further iteration, and the vote's test accuracy on
class 0 vs all.
``--set NAME=VALUE`` changes an estimator parameter, e.g. ``batch_fraction=auto`` for
the estimators' default batches (10 % of each class for SCD01 on MNIST, 29 % for
MLP01) with every iteration still run.
"""

import time

from sklearn.base import clone
from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.datasets import load_mnist

from ._common import (DEFAULT_DATA, PAPER_PROTOCOL, add_set_option, environment, load_checked,
                      resolve_data_dir)

MODELS = {
    # name: (estimator, paper iterations, target seconds per vote)
    "scd01": (SCD01Classifier, 500, 1.0),
    "mlp01": (MLP01Classifier, 1000, 3.0),
}


def add_arguments(parser):
    parser.add_argument("--model", choices=sorted(MODELS), default="scd01")
    parser.add_argument("--data-dir", default=DEFAULT_DATA,
                        help="the datasets folder that holds mnist/, or the MNIST folder "
                             "itself (default: $SK01LOSS_DATA or %(default)s)")
    parser.add_argument("--max-iter", type=int, help="default: the paper's")
    parser.add_argument("--seed", type=int, default=2018)
    add_set_option(parser, "other estimator parameters than the paper's, e.g. "
                   "batch_fraction=auto")


def run(args):
    Estimator, paper_iter, target = MODELS[args.model]
    max_iter = args.max_iter or paper_iter
    X, y = load_checked(load_mnist, resolve_data_dir(args.data_dir, "mnist"), "train")
    X_test, y_test = load_checked(load_mnist, resolve_data_dir(args.data_dir, "mnist"), "test")
    print(environment())
    # compile (or load Numba's cache) outside the timing
    Estimator(n_estimators=1, max_iter=2).fit(X[:500], y[:500] == 0)
    clf = Estimator(n_estimators=1, max_iter=max_iter, random_state=args.seed,
                    **{**PAPER_PROTOCOL[args.model], **dict(args.set)})
    # what a fit costs besides its iterations (the feature-major copy, the column
    # lists, the vote's start): a one-iteration fit of the same vote. The first fit on
    # the full data in a process costs more (fresh memory), so one runs untimed first:
    # the times are those of a process that has fitted before, as in cross-validation
    first = clone(clf).set_params(max_iter=1)
    first.fit(X, y == 0)
    setup, _ = _timed(clone(first).fit, X, y == 0)
    cpu, wall = _timed(clf.fit, X, y == 0)
    changed = "".join(f", {name}={value}" for name, value in args.set)
    print(f"{args.model} one vote, MNIST 0 vs all, {max_iter} iterations{changed}: "
          f"{cpu:.2f} CPU s/vote (target {target:g} s: ratio {cpu / target:.2f}), "
          f"{wall:.2f} wall s; of which {setup:.2f} CPU s fit setup (a one-iteration "
          f"fit) and {1000 * (cpu - setup) / max(max_iter - 1, 1):.2f} CPU ms per "
          f"further iteration; test accuracy {clf.score(X_test, y_test == 0):.4f}",
          flush=True)


def _timed(fit, X, y):
    """``fit(X, y)``'s process CPU seconds and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    fit(X, y)
    return time.process_time() - cpu, time.perf_counter() - wall
