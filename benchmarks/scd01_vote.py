"""Seconds per SCD01 vote: MNIST class 0 vs all, paper settings, one core.

One vote of SCD01Classifier (500 iterations, 64 coordinates, batch 75 % of each
class, step 0.17, window 20) on the 60000 x 784 MNIST training set; prints seconds
per iteration and per vote, the target (10 s per vote) and the test accuracy of the
vote on class 0 vs all. Optionally (``--ensemble``) the 32-vote one-vs-all model on
full MNIST with LinearSVC on the same split (Table I).
"""

import os
import time

import numpy as np
from sklearn.svm import LinearSVC

from sk01loss import SCD01Classifier
from sk01loss.datasets import load_mnist

from ._common import DEFAULT_DATA, environment

TARGET_SECONDS_PER_VOTE = 10.0


def add_arguments(parser):
    parser.add_argument("--data-dir", default=os.path.join(DEFAULT_DATA, "mnist"))
    parser.add_argument("--max-iter", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--ensemble", action="store_true",
                        help="also fit the 32-vote one-vs-all model (long)")
    parser.add_argument("--n-jobs", type=int, default=1)


def run(args):
    X, y = load_mnist(args.data_dir, "train")
    X_test, y_test = load_mnist(args.data_dir, "test")
    print(environment())
    # compile (or load the cache) outside the timing
    SCD01Classifier(n_estimators=1, max_iter=2).fit(X[:500], y[:500] == 0)
    clf = SCD01Classifier(n_estimators=1, max_iter=args.max_iter, random_state=args.seed)
    start = time.perf_counter()
    clf.fit(X, y == 0)
    seconds = time.perf_counter() - start
    print(f"SCD01 one vote, MNIST 0 vs all, {args.max_iter} iterations: "
          f"{1000 * seconds / args.max_iter:.1f} ms/iteration, {seconds:.2f} s/vote "
          f"(target {TARGET_SECONDS_PER_VOTE:.0f} s: ratio {seconds / TARGET_SECONDS_PER_VOTE:.2f}); "
          f"test accuracy {clf.score(X_test, y_test == 0):.4f}", flush=True)
    if not args.ensemble:
        return
    for name, model in [
        ("LinearSVC(C=0.01)", LinearSVC(C=0.01, dual=False)),
        ("SCD01 32 votes", SCD01Classifier(random_state=args.seed, n_jobs=args.n_jobs, verbose=1)),
    ]:
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        print(f"{name}: MNIST 10-class test accuracy {model.score(X_test, y_test):.4f}, "
              f"fit {seconds:.0f} s (n_jobs={args.n_jobs})", flush=True)
