"""Quality of single votes: constant votes, test accuracy against the 32-vote
ensemble, and the excess over the exact 0/1 optimum on small 2-D problems.

Datasets (scikit-learn's, no download): breast cancer, digits 3 vs 8 and digits 1
vs 7 (the second digit is class 1). Each is split 70/30, stratified, with
``random_state=0``, and scaled by a MinMaxScaler fitted on the training part. For
every setting of ``--flip`` the model is fitted as single votes (``n_estimators=1,
random_state=s`` for each seed ``s`` below ``--seeds``) and as one ensemble (of
``--votes`` votes, ``random_state=0``). The table gives, per dataset and setting,
the single votes' mean training and test accuracy (and their range), how many of
them predict one class for every row (training and test), how many score no better
than the test set's majority share, and the ensemble's test accuracy. The models run
the paper's protocol (500 iterations for SCD01, 1000 for MLP01, ``tol=None``,
``batch_fraction=0.75``),
whatever the estimators' defaults; ``--flip on`` sets ``flip_orientation=True``,
``--flip off`` ``False``.

With ``--toy N``, N small 2-D problems are added (40 Gaussian points labelled by a
random line, 4 of them moved 3 units deep into the other class's side): the exact
0/1 optimum of a line is found by brute force over the lines through pairs of
points, and the table gives the single votes' mean and largest excess errors over
it (SCD01 only, ``n_coordinates=2``).

With ``--model mlp01``, MLP01Classifier's defaults run instead, with each
``bias_init`` of ``--bias-init`` (no ``--flip``, no toy problems). ``--max-iter`` overrides the iterations (e.g. for a quick look).

``--splits N`` repeats everything on N different 70/30 splits (``random_state``
0..N-1 of the split; the same vote seeds), to separate the noise of a small test set
from a systematic gap: the table then gives the means over splits, and the gap's
range over splits. ``--tol`` and ``--n-iter-no-change`` set early stopping (the
estimator's own settings instead of ``tol=None``), and ``--set NAME=VALUE`` any
other estimator parameter (e.g. ``--set batch_fraction=1``), for diagnostics.
"""

import json
import os
import time

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from sk01loss import MLP01Classifier, SCD01Classifier

from ._common import PAPER_ITERATIONS, PAPER_PROTOCOL, add_set_option, environment

DATASETS = ("breast-cancer", "digits-3-8", "digits-1-7")
ESTIMATORS = {"scd01": SCD01Classifier, "mlp01": MLP01Classifier}


def add_arguments(parser):
    parser.add_argument("--model", choices=sorted(ESTIMATORS), default="scd01")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--seeds", type=int, default=20, help="single votes per dataset")
    parser.add_argument("--votes", type=int, default=32,
                        help="votes of the ensemble compared with (0: none)")
    parser.add_argument("--flip", choices=("off", "on", "both"), default="both",
                        help="SCD01's flip_orientation: off (the paper), on, or both")
    parser.add_argument("--bias-init", choices=("median", "authors", "both"), default="both",
                        help="MLP01's bias_init: median (the default), authors, or both")
    parser.add_argument("--toy", type=int, default=20, metavar="N",
                        help="2-D problems with outliers (0: none)")
    parser.add_argument("--max-iter", type=int, help="default: the paper's, 500 for SCD01 and 1000 for MLP01 (tol=None)")
    parser.add_argument("--tol", type=float, help="early stopping (default: None, every iteration)")
    parser.add_argument("--n-iter-no-change", type=int, help="with --tol")
    add_set_option(parser, "other estimator parameters")
    parser.add_argument("--splits", type=int, default=1,
                        help="70/30 splits (random_state 0..N-1), results averaged over them")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", help="also write the results as JSON to this file")


def load(name, split=0):
    """``(X_train, X_test, y_train, y_test)`` of a dataset, split (``random_state=split``)
    and scaled."""
    if name == "breast-cancer":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        a, b = (int(c) for c in name.split("-")[1:])
        X, y = load_digits(return_X_y=True)
        keep = (y == a) | (y == b)
        X, y = X[keep], (y[keep] == b).astype(int)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=split)
    scaler = MinMaxScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def toy_problem(seed, n=40, n_outliers=4):
    """40 points labelled by a random line through the origin, ``n_outliers`` of them
    moved 3 units across it (deep into the other class's side)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    normal = rng.standard_normal(2)
    normal /= np.linalg.norm(normal)
    y = (X @ normal > 0).astype(int)
    out = rng.choice(n, n_outliers, replace=False)
    X[out] -= 3.0 * (2 * y[out] - 1)[:, None] * normal
    return X, y


def exact_01_errors(X, y):
    """Fewest training errors of any line in 2-D (points in general position): an
    optimal line can be moved to pass through two points, which it may then assign
    to either side; a constant prediction is a candidate too."""
    n = len(y)
    best = min(np.sum(y == 0), np.sum(y == 1))
    for i in range(n):
        normal = np.stack([X[i, 1] - X[i + 1:, 1], X[i + 1:, 0] - X[i, 0]], axis=1)
        side = (X - X[i]) @ normal.T > 0  # (n, pairs)
        wrong = side != y[:, None].astype(bool)
        wrong[i] = False
        wrong[i + 1 + np.arange(n - i - 1), np.arange(n - i - 1)] = False
        errors = wrong.sum(axis=0)
        if errors.size:
            best = min(best, int(errors.min()), int((n - 2 - errors).min()))
    return int(best)


def settings(args):
    if args.model != "scd01":
        inits = {"median": ["median"], "authors": ["authors"],
                 "both": ["median", "authors"]}[args.bias_init]
        return {f"bias_init={init}": {"bias_init": init} for init in inits}
    flips = {"off": [False], "on": [True], "both": [False, True]}[args.flip]
    return {f"flip_orientation={flip}": {"flip_orientation": flip} for flip in flips}


def extra_params(args):
    """The estimator parameters set on the command line beyond the paper's protocol."""
    params = {"tol": args.tol}
    if args.n_iter_no_change is not None:
        if args.tol is None:
            raise SystemExit("--n-iter-no-change needs --tol")
        params["n_iter_no_change"] = args.n_iter_no_change
    params.update(args.set)
    return params


def estimator(args, **params):
    params["max_iter"] = args.max_iter or PAPER_ITERATIONS[args.model]
    # the paper's batches unless --set says otherwise
    params = {"batch_fraction": PAPER_PROTOCOL[args.model]["batch_fraction"], **params,
              **extra_params(args)}
    return ESTIMATORS[args.model](n_jobs=args.n_jobs, **params)


def single_votes(args, data, params):
    X_train, X_test, y_train, y_test = data
    rows = []
    majority = max(np.mean(y_test), 1 - np.mean(y_test))
    for seed in range(args.seeds):
        clf = estimator(args, n_estimators=1, random_state=seed, **params).fit(X_train, y_train)
        constant = np.unique(clf.predict(np.concatenate([X_train, X_test]))).size == 1
        rows.append((clf.score(X_train, y_train), clf.score(X_test, y_test), constant))
    train, test, constant = (np.array(column) for column in zip(*rows))
    return {"train": train.tolist(), "test": test.tolist(), "constant": int(constant.sum()),
            "at_most_majority": int(np.sum(test <= majority))}


def run(args):
    print(environment(), flush=True)
    results = {"command": vars(args).copy(), "datasets": {}, "toy": {}}
    header = ("| dataset | setting | single: train | single: test (min-max) | constant "
              f"| test <= majority share | {args.votes} votes: test | single - ensemble |")
    if args.splits > 1:
        header += " gap's range over splits |"
    lines = [header, "|" + "---|" * (8 + (args.splits > 1))]
    for name in args.datasets:
        splits = [load(name, split) for split in range(args.splits)]
        for label, params in settings(args).items():
            start = time.perf_counter()
            per_split = []
            for data in splits:
                single = single_votes(args, data, params)
                if args.votes:
                    ensemble = estimator(args, n_estimators=args.votes, random_state=0,
                                         **params)
                    single["ensemble_test"] = ensemble.fit(data[0], data[2]).score(
                        data[1], data[3])
                per_split.append(single)
            # one split: the record as before; several: a list, one entry per split
            results["datasets"].setdefault(name, {})[label] = (
                per_split[0] if args.splits == 1 else per_split)
            test = np.array([s["test"] for s in per_split])  # (splits, seeds)
            train = np.array([s["train"] for s in per_split])
            constant = sum(s["constant"] for s in per_split)
            at_most = sum(s["at_most_majority"] for s in per_split)
            n_votes = test.size
            if args.votes:
                ensembles = np.array([s["ensemble_test"] for s in per_split])
                gaps = test.mean(axis=1) - ensembles
                ens, gap = f"{100 * ensembles.mean():.1f}", f"{100 * gaps.mean():+.1f}"
            else:
                ens = gap = ""
            shown = ", ".join([label] + [f"{k}={v}" for k, v in extra_params(args).items()
                                         if v is not None])
            lines.append(
                f"| {name} | {shown} | {100 * train.mean():.1f} "
                f"| {100 * test.mean():.1f} ({100 * test.min():.1f}-{100 * test.max():.1f}) "
                f"| {constant}/{n_votes} | {at_most}/{n_votes} | {ens} | {gap} |")
            if args.splits > 1:
                lines[-1] += (f" {100 * gaps.min():+.1f} to {100 * gaps.max():+.1f} |"
                              if args.votes else " |")
            print(lines[-1], f"({time.perf_counter() - start:.0f} s)", flush=True)
    if args.toy and args.model == "scd01":
        lines += ["", "| 2-D problems with outliers | setting | mean excess errors "
                  "| largest | votes at the optimum |", "|---|---|---|---|---|"]
        problems = [toy_problem(p) for p in range(args.toy)]
        optima = [exact_01_errors(X, y) for X, y in problems]
        for label, params in settings(args).items():
            excess = []
            for (X, y), optimum in zip(problems, optima):
                for seed in range(args.seeds):
                    clf = estimator(args, n_estimators=1, n_coordinates=2, random_state=seed,
                                    **params).fit(X, y)
                    excess.append(int(np.sum(clf.predict(X) != y)) - optimum)
            excess = np.array(excess)
            results["toy"][label] = {"optima": optima, "excess": excess.tolist()}
            lines.append(f"| {args.toy} problems x {args.seeds} seeds | {label} "
                         f"| {excess.mean():.2f} | {excess.max()} "
                         f"| {np.mean(excess == 0):.0%} |")
            print(lines[-1], flush=True)
    print("\n" + "\n".join(lines))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
