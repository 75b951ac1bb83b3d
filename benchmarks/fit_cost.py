"""Fit cost: CPU seconds and test accuracy of the 0/1 models against their convex
counterparts, and a sweep of the early-stopping settings.

Without ``--sweep``: fits, in this one process on the same cores, LinearSVC(C=0.01),
MLPClassifier((20,)), SCD01Classifier() and MLP01Classifier() with their defaults
(``--votes`` and ``--n-jobs`` aside) on all ten classes, and prints each model's
process CPU seconds (all threads), wall seconds and test accuracy, and each 0/1
model's CPU ratio to its convex counterpart (LinearSVC for SCD01, the MLP for MLP01).

``--sweep scd01`` (or ``mlp01``): fits that model with ``--votes`` votes (8 show the
trend) for every (``max_iter``, ``tol``, ``n_iter_no_change``) of the grid, each
setting one resumable record with its CPU seconds, wall seconds, test accuracy and
the iterations its votes ran; ``tol=None`` is the paper's protocol. The table is
written to ``fit-cost-sweep-<model>.md`` in the results folder. ``--quick`` runs a
fifth of the iterations on the experiments' small subsets.
"""

import argparse
import os
import time

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC

from sk01loss import MLP01Classifier, SCD01Classifier

from . import _figures
from ._common import PAPER_ITERATIONS, add_set_option
from ._experiment import (DATASETS, N_COORDINATES, Store, _folder, add_common_arguments,
                          load_dataset)

#: The sweep's grid per model: max_iter values, and (tol, n_iter_no_change) pairs
#: (``(None, None)``: every iteration).
GRID = {
    "scd01": ((500, 200), ((None, None), (0.0, 10), (0.0, 25), (0.0, 50),
                           (1e-4, 10), (1e-4, 25), (1e-3, 10))),
    "mlp01": ((1000, 500), ((None, None), (0.0, 25), (0.0, 50), (0.0, 100),
                            (1e-4, 25), (1e-4, 50))),
}
ESTIMATORS = {"scd01": SCD01Classifier, "mlp01": MLP01Classifier}


def add_arguments(parser):
    add_common_arguments(parser)
    parser.add_argument("--votes", type=int, help="votes per class (default: the "
                        "estimators' default, 32; the sweep's default: 8)")
    parser.add_argument("--sweep", choices=sorted(GRID),
                        help="sweep this model's early-stopping settings instead")
    parser.add_argument("--settings", nargs="+", type=_setting, metavar="MAX_ITER:TOL:N",
                        help="sweep these settings instead of the grid, e.g. 500:none "
                        "(the paper's protocol) 200:1e-3:10")
    parser.add_argument("--flip-orientation", action="store_true",
                        help="--sweep scd01 with flip_orientation=True")
    add_set_option(parser, "--sweep with these other estimator parameters, e.g. "
                   "batch_fraction=0.25; each record's key names them")
    parser.add_argument("--figure", action="store_true",
                        help="with --sweep: fit nothing, draw the sweep records of every "
                        "dataset under --out (accuracy against CPU seconds) into "
                        "OUT/fit-cost/fit-cost-sweep-<model>.png and write their tables "
                        "again")


def _setting(text):
    """``MAX_ITER:TOL[:N_ITER_NO_CHANGE]`` as ``(max_iter, tol, n_iter_no_change)``;
    ``none`` for a tol of None (every iteration)."""
    parts = text.split(":")
    try:
        if parts[1].lower() == "none" and len(parts) == 2:
            return int(parts[0]), None, None
        if len(parts) == 3:
            return int(parts[0]), float(parts[1]), int(parts[2])
    except (ValueError, IndexError):
        pass
    raise argparse.ArgumentTypeError(
        f"{text!r} is not MAX_ITER:TOL:N_ITER_NO_CHANGE (e.g. 200:1e-3:10) or MAX_ITER:none")


def timed(fit):
    """``fit()`` with its process CPU seconds (all threads) and wall seconds."""
    cpu, wall = time.process_time(), time.perf_counter()
    fit()
    return time.process_time() - cpu, time.perf_counter() - wall


def run(args):
    if args.figure:
        return figure(args)
    X, y, X_test, y_test = load_dataset(args)
    # compile (or load Numba's cache) outside the timing
    for name in [args.sweep] if args.sweep else ESTIMATORS:
        ESTIMATORS[name](n_estimators=1, max_iter=2).fit(X[:500], y[:500])
    if args.sweep:
        sweep(args, X, y, X_test, y_test)
    else:
        compare(args, X, y, X_test, y_test)


def _zero_one(name, args, **settings):
    """The model with its defaults but for the dataset's coordinates, the seed,
    ``--n-jobs``, ``--votes`` and ``settings``."""
    settings = {"n_coordinates": N_COORDINATES[args.dataset], **settings}
    if args.votes:
        settings = {"n_estimators": args.votes, **settings}
    model = ESTIMATORS[name](n_jobs=args.n_jobs, random_state=args.seed, **settings)
    if args.quick:  # as the paper experiments: a fifth of the iterations
        model.set_params(max_iter=model.max_iter // 5)
    return model


def compare(args, X, y, X_test, y_test):
    store = Store(args, "fit-cost")
    models = {
        "LinearSVC(C=0.01)": LinearSVC(C=0.01, dual=False),
        "MLPClassifier((20,))": MLPClassifier((20,), random_state=args.seed),
        "SCD01Classifier()": _zero_one("scd01", args),
        "MLP01Classifier()": _zero_one("mlp01", args),
    }
    rows = []
    for name, model in models.items():
        record = store.get(name)
        if record is None:
            print(f"[fit-cost] fitting {name} ...", flush=True)
            cpu, wall = timed(lambda: model.fit(X, y))
            record = store.add(name, cpu_seconds=round(cpu, 1), wall_seconds=round(wall, 1),
                               test_accuracy=float(model.score(X_test, y_test)))
        rows.append({"model": name, **{k: v for k, v in record.items() if k != "key"}})
    for row, convex in zip(rows[2:], rows[:2]):
        row["CPU ratio"] = round(row["cpu_seconds"] / convex["cpu_seconds"], 1)
    print(store.write_table("fit-cost", rows, ["model", "cpu_seconds", "wall_seconds",
                                               "test_accuracy", "CPU ratio"],
                            f"Fit cost on {args.dataset}, 10 classes"), flush=True)
    store.write_meta(votes=args.votes)


def sweep(args, X, y, X_test, y_test):
    store = Store(args, "fit-cost", variant=f"sweep-{args.sweep}")
    votes = args.votes or 8
    iterations, stopping = GRID[args.sweep]
    settings_swept = args.settings or [(max_iter, tol, patience) for max_iter in iterations
                                       for tol, patience in stopping]
    flip = "/flip" if args.flip_orientation else ""
    # every key names its batch fraction (whose default has changed), then any other --set
    extra = {"batch_fraction": ESTIMATORS[args.sweep]().batch_fraction, **dict(args.set)}
    others = "".join(f"/{name}={value}" for name, value in extra.items())
    for max_iter, tol, patience in settings_swept:
        key = (f"{args.sweep}/{votes}votes/max_iter={max_iter}/tol={tol}/n={patience}"
               f"{others}{flip}")
        if store.get(key) is None:
            settings = dict(max_iter=max_iter, tol=tol, n_estimators=votes, **extra)
            if patience is not None:
                settings["n_iter_no_change"] = patience
            if args.sweep == "scd01":  # explicit: the record's key says which
                settings["flip_orientation"] = args.flip_orientation
            model = _zero_one(args.sweep, args, **settings)
            print(f"[fit-cost] fitting {key} ...", flush=True)
            cpu, wall = timed(lambda: model.fit(X, y))
            store.add(key, cpu_seconds=round(cpu, 1), wall_seconds=round(wall, 1),
                      test_accuracy=float(model.score(X_test, y_test)),
                      mean_iterations=float(np.mean(model.n_iter_)),
                      max_iterations=int(np.max(model.n_iter_)))
    store.reload()  # the table holds every setting recorded in this folder, any votes
    print(_sweep_table(store, args.sweep, args.dataset), flush=True)
    store.write_meta(votes=votes, grid=str(settings_swept))


def _sweep_table(store, model, dataset):
    """Write the table of every ``model`` sweep record of ``store``; returns it (markdown)."""
    rows = [_sweep_row(record) for key, record in store.records.items()
            if key.startswith(f"{model}/")]
    return store.write_table(f"fit-cost-sweep-{model}", rows,
                             ["votes", "max_iter", "tol", "n_iter_no_change",
                              "flip_orientation", "other_parameters", "cpu_seconds",
                              "wall_seconds", "test_accuracy", "mean_iterations"],
                             f"{model}, {dataset}, 10 classes")


def _sweep_row(record):
    """A sweep record's settings, read back from its key
    (``<model>/<votes>votes/max_iter=M/tol=T/n=N[/NAME=VALUE...][/flip]``), and its
    measurements."""
    parts = record["key"].split("/")
    fields = dict(part.split("=") for part in parts[2:5])
    others = ", ".join(part for part in parts[5:] if part != "flip")
    return {"model": parts[0], "votes": int(parts[1].removesuffix("votes")),
            "max_iter": int(fields["max_iter"]),
            "tol": fields["tol"], "n_iter_no_change": fields["n"],
            "flip_orientation": parts[-1] == "flip", "other_parameters": others,
            **{k: v for k, v in record.items() if k != "key"}}


def figure(args):
    """The sweep records of every dataset found under ``--out``, one panel each: test
    accuracy against CPU seconds, the paper's protocol and the early-stopped settings
    apart, 8 and 32 votes apart; each dataset's table is written again from its
    records too."""
    if not args.sweep:
        raise SystemExit("--figure needs --sweep MODEL")
    panels = []
    for dataset in DATASETS:
        at = argparse.Namespace(**{**vars(args), "dataset": dataset, "resume": True})
        if not os.path.isdir(_folder(at, "fit-cost", f"sweep-{args.sweep}")):
            continue
        store = Store(at, "fit-cost", variant=f"sweep-{args.sweep}")
        rows = [_sweep_row(record) for key, record in store.records.items()
                if key.startswith(f"{args.sweep}/")]
        if rows:
            _sweep_table(store, args.sweep, dataset)
            panels.append((dataset, [_point(row) for row in rows]))
    if not panels:
        raise SystemExit(f"no {args.sweep} sweep records under {args.out}/fit-cost")
    path = os.path.join(args.out, "fit-cost", f"fit-cost-sweep-{args.sweep}.png")
    path = _figures.tradeoff(path, panels, f"{args.sweep.upper()}, 10 classes: test accuracy "
                             "against fit CPU seconds (one core)")
    if path:
        print(f"[fit-cost] figure: {path}", flush=True)


def _point(row):
    """A sweep row as ``(label, CPU s, test %, style)`` for the figure: the paper's
    protocol, other iteration counts and early stopping with the paper's batches,
    and (diamonds) any other batch fraction or parameter."""
    paper_iter = PAPER_ITERATIONS[row["model"]]
    if row["tol"] == "None":
        kind = "paper's protocol" if row["max_iter"] == paper_iter else f"max_iter={row['max_iter']}"
        marker = "X" if row["max_iter"] == paper_iter else "s"
    else:
        kind, marker = "early stopping", "o"
    flip = ", flip_orientation" if row["flip_orientation"] else ""
    if row["other_parameters"] != "batch_fraction=0.75":
        kind, marker = f"{kind}, {row['other_parameters']}", "D"
    colour = {8: "tab:blue", 32: "tab:orange"}.get(row["votes"], "tab:grey")
    return (f"{row['votes']} votes, {kind}{flip}", row["cpu_seconds"],
            100 * row["test_accuracy"],
            {"marker": marker, "color": colour, "s": 60 if row["flip_orientation"] else 30,
             "facecolors": "none" if row["flip_orientation"] else colour})
