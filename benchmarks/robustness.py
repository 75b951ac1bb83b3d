"""Robustness beyond transfer on classes 0 vs 1: minimum distortions, security curves
and certified accuracy of the four models.

Fits the linear SVM, the MLP, SCD01 and MLP01 (``--votes`` votes, ``--max-iter``
iterations of the 0/1 solvers; the paper's settings otherwise) on classes 0 vs 1,
then, on ``--n-test`` test images (a fixed random subset):

1. HopSkipJump's minimum-distortion mode, L2 and L-inf (default budget): the
   distribution of the smallest adversary's distortion per model, the queries and the
   CPU seconds per image (``distortion.csv``/``.md``);
2. the security curve: accuracy over ``--eps`` under every attack that applies
   (``LinearSignAttack``, ``FGSMAttack``, ``MLP01Attack`` on the whole ensemble,
   ``SmoothedPGDAttack`` with temperatures 0.1 and 1.0 and 2 restarts, HopSkipJump
   L-inf), with the gradient-masking and sanity flags of Carlini et al. (2019)
   (``curves.csv``/``.md``/``.png``, ``flags.md``);
3. with ``--certify N``, the certified accuracy of the first N of those images
   (``certified_radius`` with ``--time-limit`` seconds per image and the largest eps
   as the search radius; rows whose MILP does not finish count as not certified)
   (``certified.csv``/``.md``).

Run as ``python -m benchmarks robustness --dataset mnist --quick``.
"""

import argparse
import json
import os
import time

import numpy as np
from sklearn.frozen import FrozenEstimator

from sk01loss.attacks import (
    FGSMAttack,
    HopSkipJumpAttack,
    LinearSignAttack,
    MLP01Attack,
    SmoothedPGDAttack,
)
from sk01loss.robustness import certified_radius, security_curve

from ._common import CommandError, environment
from ._experiment import add_common_arguments, load_dataset, make_model

MODELS = ("svm", "mlp", "scd01", "mlp01")


def _count(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= {low}")
        return value
    return parse


def _non_negative(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number >= 0")
    return value


def _positive(text):
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number > 0")
    return value


def add_arguments(parser):
    add_common_arguments(parser)
    parser.add_argument("--votes", type=_count(1), default=8,
                        help="votes of the SCD01 and MLP01 ensembles (default: %(default)s)")
    parser.add_argument("--max-iter", type=_count(1), default=None,
                        help="iterations of the 0/1 solvers (default: the paper's, 500 for "
                             "SCD01 ensembles, 1000 for MLP01; a fifth with --quick)")
    parser.add_argument("--n-test", type=_count(1), default=100,
                        help="test images attacked (default: %(default)s)")
    parser.add_argument("--eps", type=_non_negative, nargs="+", default=[0.0, 0.05, 0.1, 0.2, 0.3],
                        help="L-inf grid of the curves (default: %(default)s)")
    parser.add_argument("--certify", type=_count(0), default=0,
                        help="certify the first N attacked images (default: none)")
    parser.add_argument("--parts", nargs="+", choices=["distortion", "curves", "certify"],
                        default=["distortion", "curves", "certify"],
                        help="what to run (default: all; certify needs --certify N)")
    parser.add_argument("--time-limit", type=_positive, default=10.0,
                        help="seconds per image of a certificate's MILP (default: %(default)s)")


def _fit_models(args, X, y):
    models = {}
    for name in MODELS:
        model = make_model(name, args, votes=args.votes if name in ("scd01", "mlp01") else 1,
                           scd01_iters=500)
        if args.max_iter and name in ("scd01", "mlp01"):
            model.set_params(max_iter=args.max_iter)
        start = time.process_time()
        models[name] = model.fit(X, y)
        print(f"{name}: fitted in {time.process_time() - start:.1f} CPU s", flush=True)
    return models


def _table(rows, columns):
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = []
        for c in columns:
            value = row[c]
            cells.append(f"{value:.4g}" if isinstance(value, float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _write(folder, name, rows, columns):
    import csv

    with open(os.path.join(folder, name + ".csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    text = _table(rows, columns)
    with open(os.path.join(folder, name + ".md"), "w") as f:
        f.write(text)
    print(text, flush=True)


def run(args):
    if "certify" in args.parts and not args.certify:
        if args.parts == ["certify"]:
            raise CommandError("--parts certify needs --certify N (the number of images "
                               "to certify)")
        args.parts = [part for part in args.parts if part != "certify"]
    folder = os.path.join(args.out, "robustness", args.dataset)
    os.makedirs(folder, exist_ok=True)
    print(environment(), flush=True)
    X, y, X_test, y_test = load_dataset(args, classes=[0, 1])
    rng = np.random.default_rng(args.seed)
    pick = np.sort(rng.choice(len(y_test), size=min(args.n_test, len(y_test)), replace=False))
    X_eval, y_eval = X_test[pick], y_test[pick]
    models = _fit_models(args, X, y)
    starts = X[rng.choice(len(y), size=min(2000, len(y)), replace=False)]

    attacks = {
        "linear-sign": LinearSignAttack(None),
        "fgsm": FGSMAttack(None),
        "mlp01-heuristic": MLP01Attack(None, random_state=args.seed),
        "smoothed-pgd": SmoothedPGDAttack(None, n_restarts=2, random_state=args.seed),
        "hopskipjump-linf": HopSkipJumpAttack(None, random_state=args.seed),
    }
    if "distortion" in args.parts:
        _distortions(args, folder, models, starts, X_eval, y_eval)
    if "curves" in args.parts:
        _curves(args, folder, models, attacks, X_eval, y_eval)
    if "certify" in args.parts and args.certify:
        _certificates(args, folder, models, attacks, X_eval, y_eval)


def _distortions(args, folder, models, starts, X_eval, y_eval):
    """1. HopSkipJump's minimum distortions, L2 and L-inf."""
    rows = []
    for name, model in models.items():
        for constraint in ("l2", "linf"):
            attack = HopSkipJumpAttack(FrozenEstimator(model), constraint=constraint,
                                       random_state=args.seed).fit(starts)
            start = time.process_time()
            result = attack.minimize(X_eval, y_eval)
            cpu = (time.process_time() - start) / len(y_eval)
            found = result.distortion[np.isfinite(result.distortion)]
            q = np.quantile(found, [0.25, 0.5, 0.75]) if found.size else [np.nan] * 3
            rows.append(dict(model=name, norm=constraint,
                             clean_accuracy=model.score(X_eval, y_eval),
                             success=float(result.success.mean()), q25=float(q[0]),
                             median=float(q[1]), q75=float(q[2]),
                             mean_queries=float(result.n_queries.mean()),
                             cpu_s_per_image=float(cpu)))
            print(f"{name} {constraint}: median distortion {q[1]:.4g}, {cpu:.3f} CPU s/image",
                  flush=True)
    _write(folder, "distortion", rows, list(rows[0]))


def _curves(args, folder, models, attacks, X_eval, y_eval):
    """2. Security curves under every attack that applies."""
    start = time.process_time()
    curve = security_curve(models, attacks, X_eval, y_eval, args.eps)
    print(f"security curves: {time.process_time() - start:.1f} CPU s", flush=True)
    records = [r for r in curve.records if not np.isnan(r["accuracy"])]
    _write(folder, "curves", records, ["model", "attack", "kind", "norm", "eps", "accuracy"])
    flags = curve.flags
    with open(os.path.join(folder, "flags.md"), "w") as f:
        f.write("\n".join(json.dumps(flag) for flag in flags) + "\n" if flags else "no flags\n")
    print(f"flags: {flags or 'none'}", flush=True)
    try:
        import matplotlib
        matplotlib.use("Agg")
        axes = curve.plot()
        axes[0].figure.savefig(os.path.join(folder, "curves.png"), dpi=110,
                               bbox_inches="tight")
    except ImportError:  # pragma: no cover
        pass



def _certificates(args, folder, models, attacks, X_eval, y_eval):
    """3. Certified accuracy of the first ``--certify`` images, and every attack's
    accuracy on the same images (``security_curve(certify=True)``: an attack below
    a certificate is flagged)."""
    rows = []
    X_cert, y_cert = X_eval[:args.certify], y_eval[:args.certify]
    for name in ("svm", "scd01", "mlp01"):
        start = time.perf_counter()
        cert = certified_radius(models[name], X_cert, eps=max(args.eps),
                                time_limit=args.time_limit)
        wall = (time.perf_counter() - start) / len(y_cert)
        right = cert.prediction == y_cert
        statuses = {s: int(np.sum(cert.status == s)) for s in ("exact", "robust", "unknown")}
        lower = np.median(cert.radius)
        upper = np.median(cert.upper_bound)
        for eps in args.eps:
            rows.append(dict(model=name, eps=eps,
                             certified_accuracy=float(np.mean(right & cert.certified(eps))),
                             **statuses, median_radius=float(lower),
                             median_upper_bound=float(upper), wall_s_per_image=wall))
        print(f"{name}: certificates {statuses}, {wall:.2f} wall s/image", flush=True)
    _write(folder, "certified", rows, list(rows[0]))
    curve = security_curve({name: models[name] for name in ("svm", "scd01", "mlp01")},
                           attacks, X_cert, y_cert, args.eps, certify=True,
                           time_limit=args.time_limit)
    records = [r for r in curve.records if not np.isnan(r["accuracy"])]
    _write(folder, "certified-vs-attacks", records,
           ["model", "attack", "kind", "norm", "eps", "accuracy"])
    with open(os.path.join(folder, "certified-flags.md"), "w") as f:
        f.write("\n".join(json.dumps(flag) for flag in curve.flags) + "\n"
                if curve.flags else "no flags\n")
    print(f"flags: {curve.flags or 'none'}", flush=True)
