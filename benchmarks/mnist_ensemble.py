"""32-vote one-vs-all SCD01 or MLP01 on full MNIST next to its convex counterpart.

Table I of the paper (32 votes: SCD01 90.8 %, MLP01 96 %). Each class's 32-vote
binary ensemble (class c vs all) is fitted and saved to ``--out`` on its own, so an
interrupted run resumes with ``--resume`` where it stopped; the prediction is the
class with the most votes (ties to the lowest class), exactly as the estimators'
own one-vs-all. The single-run accuracy is that of vote 0 of every class. The
baseline is LinearSVC (C=0.01, squared hinge) for SCD01 and
MLPClassifier(hidden_layer_sizes=(20,)) for MLP01, fitted on the same split.
"""

import json
import os
import pickle
import time

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC

from sk01loss import MLP01Classifier, SCD01Classifier
from sk01loss.datasets import load_mnist

from ._common import (DEFAULT_DATA, PAPER_ITERATIONS, PAPER_PROTOCOL, environment, load_checked,
                      resolve_data_dir)

MODELS = {
    "scd01": (SCD01Classifier, lambda seed: LinearSVC(C=0.01, dual=False), "LinearSVC(C=0.01)"),
    "mlp01": (MLP01Classifier,
              lambda seed: MLPClassifier(hidden_layer_sizes=(20,), random_state=seed),
              "MLPClassifier((20,))"),
}


def add_arguments(parser):
    parser.add_argument("--model", choices=sorted(MODELS), default="scd01")
    parser.add_argument("--data-dir", default=DEFAULT_DATA,
                        help="the datasets folder that holds mnist/, or the MNIST folder "
                             "itself (default: $SK01LOSS_DATA or %(default)s)")
    parser.add_argument("--out", default="results/mnist-ensemble")
    parser.add_argument("--resume", action="store_true", help="keep classes already fitted")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--classes", type=int, nargs="*", default=list(range(10)),
                        help="fit only these classes now (resume later for the rest)")
    parser.add_argument("--votes", type=int, default=32, help="votes per class (paper: 32)")
    parser.add_argument("--max-iter", type=int, help="iterations per vote (default: the paper's)")
    parser.add_argument("--bias-init", choices=["median", "authors"],
                        help="MLP01 only: its bias_init (default: the estimator's)")
    parser.add_argument("--flip-orientation", action="store_true",
                        help="SCD01 only: flip_orientation=True")
    parser.add_argument("--tol", type=float,
                        help="SCD01 only: tol (default: None, every iteration as in the paper)")
    parser.add_argument("--n-iter-no-change", type=int,
                        help="SCD01 only: n_iter_no_change, with --tol")
    parser.add_argument("--record",
                        help="also append one JSON line per fitted class (and the result) "
                             "to DIR/classes.jsonl and DIR/result.json, small files to commit")
    parser.add_argument("--compare-to", metavar="NAME",
                        help="compare every class fitted here with the one in the folder "
                             "NAME next to this run's (e.g. scd01 for a --flip-orientation "
                             "run): which votes are bit-identical, and both accuracies")


def _options(args):
    """The estimator options beyond the paper's protocol, and the folder suffix that
    names them (empty for the paper's protocol)."""
    options, parts = {}, []
    if args.bias_init is not None:
        if args.model != "mlp01":
            raise SystemExit("--bias-init is an MLP01 option")
        options["bias_init"] = args.bias_init
        parts.append(f"bias-{args.bias_init}")
    if args.flip_orientation:
        if args.model != "scd01":
            raise SystemExit("--flip-orientation is an SCD01 option")
        options["flip_orientation"] = True
        parts.append("flip")
    if args.tol is not None or args.n_iter_no_change is not None:
        if args.model != "scd01" or args.tol is None:
            raise SystemExit("--tol (with optional --n-iter-no-change) is an SCD01 option")
        options["tol"] = args.tol
        parts.append(f"tol{args.tol:g}")
        if args.n_iter_no_change is not None:
            options["n_iter_no_change"] = args.n_iter_no_change
            parts.append(f"n{args.n_iter_no_change}")
    return options, "-".join(parts)


def _record(args, name, entry):
    if args.record is None:
        return
    os.makedirs(args.record, exist_ok=True)
    with open(os.path.join(args.record, name), "a" if name.endswith(".jsonl") else "w") as fh:
        if name.endswith(".jsonl"):
            fh.write(json.dumps(entry) + "\n")
        else:
            json.dump(entry, fh, indent=1)


def run(args):
    Estimator, make_baseline, baseline_name = MODELS[args.model]
    # the paper's protocol, whatever the estimators' defaults: every iteration of
    # its iteration counts (Table II: 500 for SCD01, 1000 for MLP01)
    settings = dict(n_estimators=args.votes, n_jobs=args.n_jobs,
                    max_iter=args.max_iter or PAPER_ITERATIONS[args.model],
                    **PAPER_PROTOCOL[args.model])
    options, suffix = _options(args)
    settings.update(options)
    X, y = load_checked(load_mnist, resolve_data_dir(args.data_dir, "mnist"), "train")
    X_test, y_test = load_checked(load_mnist, resolve_data_dir(args.data_dir, "mnist"), "test")
    # other settings than the paper's get a folder of their own, so --resume never
    # mixes ensembles of different sizes
    name = args.model if args.votes == 32 and not args.max_iter else (
        f"{args.model}-{args.votes}votes-{args.max_iter or 'default'}iters")
    if suffix:
        name = f"{name}-{suffix}"
    out = os.path.join(args.out, name)
    os.makedirs(out, exist_ok=True)
    print(environment(), flush=True)
    for c in args.classes:
        path = os.path.join(out, f"class{c}.pkl")
        if args.resume and os.path.exists(path):
            print(f"class {c}: already fitted ({path})", flush=True)
            continue
        start = time.perf_counter()
        model = Estimator(random_state=args.seed + c, **settings).fit(X, y == c)
        seconds = time.perf_counter() - start
        with open(path, "wb") as fh:
            pickle.dump({"model": model, "seconds": seconds, "n_jobs": args.n_jobs}, fh)
        score = model.score(X_test, y_test == c)
        single_score = model.select_votes(1).score(X_test, y_test == c)
        print(f"class {c}: {args.votes} votes in {seconds:.0f} s, test accuracy (c vs all) "
              f"{score:.4f} (vote 0: {single_score:.4f})", flush=True)
        _record(args, "classes.jsonl", {
            "name": name, "class": c, "random_state": args.seed + c, "settings": {
                k: v for k, v in settings.items() if k != "n_jobs"},
            "test_accuracy_c_vs_all": float(score),
            "vote0_test_accuracy_c_vs_all": float(single_score),
            "fit_seconds": round(seconds), "n_jobs": args.n_jobs,
            "environment": environment()})
    if args.compare_to:
        compare(args, out, os.path.join(args.out, args.compare_to), X_test, y_test)
    fitted = [os.path.join(out, f"class{c}.pkl") for c in range(10)]
    if not all(os.path.exists(p) for p in fitted):
        print("not all classes fitted yet: run again with --resume", flush=True)
        return
    fractions, single, total_seconds, n_jobs = [], [], 0.0, set()
    for path in fitted:
        with open(path, "rb") as fh:
            saved = pickle.load(fh)
        # every class has the same number of votes: fractions rank as counts
        fractions.append(saved["model"].predict_proba(X_test)[:, 1])
        single.append(saved["model"].select_votes(1).predict_proba(X_test)[:, 1])
        total_seconds += saved["seconds"]
        n_jobs.add(saved.get("n_jobs"))
    n_votes = saved["model"].n_estimators
    accuracy = float(np.mean(np.argmax(fractions, axis=0) == y_test))
    # a single run: vote 0 of every class (ties, and rows no class claims, go to the
    # lowest class, as in the estimators' one-vs-all)
    single_accuracy = float(np.mean(np.argmax(single, axis=0) == y_test))
    start = time.perf_counter()
    baseline = make_baseline(args.seed).fit(X, y)
    baseline_seconds = time.perf_counter() - start
    result = {
        "model": args.model, "votes": n_votes, "test_accuracy": accuracy,
        "single_run_test_accuracy": single_accuracy, "fit_seconds": round(total_seconds),
        "fit_n_jobs": sorted(n_jobs, key=str), "baseline": baseline_name,
        "baseline_test_accuracy": float(baseline.score(X_test, y_test)),
        "baseline_fit_seconds": round(baseline_seconds), "environment": environment(),
    }
    result["settings"] = {k: v for k, v in settings.items() if k != "n_jobs"}
    with open(os.path.join(out, "result.json"), "w") as fh:
        json.dump(result, fh, indent=1)
    _record(args, "result.json", result)
    print(f"{args.model} {n_votes} votes one-vs-all: MNIST test accuracy {accuracy:.4f} "
          f"(single run {single_accuracy:.4f}), fit {total_seconds:.0f} s; {baseline_name}: "
          f"{result['baseline_test_accuracy']:.4f}, fit {baseline_seconds:.0f} s", flush=True)


def compare(args, out, other, X_test, y_test):
    """Per class fitted in both folders: the votes whose weights and biases are not
    bit-identical, each one's test accuracy (class c vs all) and training objective
    in both runs, both ensembles' accuracies; the 10-class accuracies once both
    folders hold every class."""
    rows, fractions = [], {out: [], other: []}
    for c in range(10):
        paths = [os.path.join(folder, f"class{c}.pkl") for folder in (out, other)]
        if not all(os.path.exists(p) for p in paths):
            continue
        models = []
        for path in paths:
            with open(path, "rb") as fh:
                models.append(pickle.load(fh)["model"])
        a, b = models
        arrays = [name for name in ("coef_", "intercept_", "hidden_coef_", "hidden_intercept_")
                  if hasattr(a, name)]
        differ = [v for v in range(a.n_estimators)
                  if not all(np.array_equal(getattr(a, n)[0, v], getattr(b, n)[0, v])
                             for n in arrays)]
        target = y_test == c
        row = {"class": c, "votes": a.n_estimators, "identical": a.n_estimators - len(differ),
               "test_accuracy": float(a.score(X_test, target)),
               "other_test_accuracy": float(b.score(X_test, target)),
               "differing_votes": [{
                   "vote": v,
                   "test_accuracy": float(a.select_votes([v]).score(X_test, target)),
                   "other_test_accuracy": float(b.select_votes([v]).score(X_test, target)),
                   "train_objective": float(a.train_objective_[0, v]),
                   "other_train_objective": float(b.train_objective_[0, v])}
                   for v in differ]}
        rows.append(row)
        for folder, model in zip((out, other), models):
            fractions[folder].append(model.predict_proba(X_test)[:, 1])
        print(f"class {c} against {os.path.basename(other)}: {row['identical']} of "
              f"{row['votes']} votes bit-identical, test accuracy (c vs all) "
              f"{row['test_accuracy']:.4f} against {row['other_test_accuracy']:.4f}"
              + "".join(f"; vote {d['vote']}: {d['test_accuracy']:.4f} against "
                        f"{d['other_test_accuracy']:.4f} (training objective "
                        f"{d['train_objective']:.4f} against {d['other_train_objective']:.4f})"
                        for d in row["differing_votes"]), flush=True)
    result = {"compared_with": os.path.basename(other), "classes": rows}
    if len(rows) == 10:
        result["test_accuracy"], result["other_test_accuracy"] = (
            float(np.mean(np.argmax(fractions[f], axis=0) == y_test)) for f in (out, other))
        print(f"10 classes: test accuracy {result['test_accuracy']:.4f} against "
              f"{result['other_test_accuracy']:.4f}", flush=True)
    name = f"compare-{os.path.basename(other)}.json"
    with open(os.path.join(out, name), "w") as fh:
        json.dump(result, fh, indent=1)
    _record(args, name, result)
