"""Figs. 3-6: substitute-model black-box attacks, accuracy of each target per round.

Protocol (the paper's Sec. III-C and the authors' code): the test set restricted to ``--classes`` (default 0 vs
1; ``--classes all`` for the multiclass panels) is permuted with the seed; its first
200 points seed the attacker's set (their true labels are never used), the rest is
the evaluation set. The targets SVM, SCD01, MLP and MLP01 are trained on the
training set. Each round labels the attacker's set with the target, trains the
substitute on those labels, crafts adversaries of the evaluation set on the
substitute (true labels) and records the target's accuracy on them, the
substitute's accuracy, and the clean and adversarial label-match rates between
substitute and target (Fig. 5); then the set grows by Jacobian-based augmentation
(doubling up to 6400 points, then replaced). Epoch 0 of the curves is the target's
clean accuracy. 20 rounds, lambda 0.1, eps 0.3 on MNIST (and Fashion-MNIST, not in
the paper), 0.0625 on CIFAR-10.

``--substitute mlp`` (Figs. 3 and 6): the paper's convex substitute, two hidden
layers of 200 ReLU units, 20 epochs of Adam per round (lr 1e-3; 1e-4 on CIFAR-10),
batches of 128, warm-started, with FGSM adversaries and a random sign of lambda per
round, augmented points not clipped. Targets: 32-vote SCD01 (500 iterations) and
MLP01 (1000 iterations) trained directly on the classes (the authors' code), single
LinearSVC(C=0.01) and MLPClassifier((20,), logistic, SGD lr 0.01, 200 epochs; one-vs-all
for more than two classes).

``--substitute scd01`` (Figs. 4 and 5): a single-run SCD01 (1000 iterations),
retrained from scratch every round with the seed of the SCD01 target; augmentation
``x + lambda (2y - 1) sign(w)`` with lambda = +0.1 every round, clipped; adversaries
by the linear white-box rule on its weights. Targets: single runs, as in ``table3``.

``--inputs binarised`` (Fig. 6): everything on inputs saturated with p = inf; the
adversaries are clipped but not binarised again.

Attack variants with a folder of their own (``<dataset>-<classes>-<variant>``), which
attack the targets saved in the task's folder: ``--augmentation uniform`` (the SCD01
substitute's augmentation in the authors' code), ``--attack-seed`` and
``--clip-augmented`` (the convex substitute's seed and clipping), ``--keep-seeds``
(the seed points stay in the capped set).

One saved unit per (substitute, inputs, target): an interrupted run resumes
(``--resume``) at the attack it was in. ``--quick``: 2000 training / 500 test rows
(300 evaluated), 4 votes, 6 rounds, set capped at 1600, the 0/1 solvers' iterations
divided by 5, MLP 30 epochs.
"""

import time
import warnings
from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator

from sk01loss import SCD01Classifier
from sk01loss.attacks import SubstituteAttack, default_substitute

from . import _figures, table1
from ._common import PAPER_PROTOCOL
from ._experiment import (EPS, MODELS, N_COORDINATES, Store, add_common_arguments,
                          ensemble_size, fitted_by, load_dataset, make_model)
from .table3 import DATASET_NAMES, binarise

SUBSTITUTES = ("mlp", "scd01")
INPUTS = ("original", "binarised")
LEARNING_RATE = {"mnist": 1e-3, "fashion-mnist": 1e-3, "cifar10-jpeg": 1e-4}
# what the paper's text states (Fig. 3b, CIFAR-10 0 vs 1, convex substitute):
# target -> (clean %, epoch-20 %)
PAPER = {("cifar10-jpeg", "0v1", "mlp", "original"): {"mlp": (88, 7), "mlp01": (86, 58)}}


def add_arguments(parser):
    add_common_arguments(parser)
    parser.add_argument("--classes", nargs="+", default=["0", "1"],
                        help="classes of the task (default: 0 1; 'all' for the multiclass "
                             "figures)")
    parser.add_argument("--substitute", nargs="+", choices=SUBSTITUTES, default=["mlp"],
                        help="mlp: the convex 2x200 network (Figs. 3, 6); scd01: a "
                             "single-run SCD01 against single-run targets (Figs. 4, 5)")
    parser.add_argument("--inputs", nargs="+", choices=INPUTS, default=["original"],
                        help="binarised: inputs saturated with p = inf (Fig. 6)")
    parser.add_argument("--targets", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--votes", type=int,
                        help="votes of the SCD01/MLP01 targets of the convex substitute "
                             "(default 32, --quick 4)")
    parser.add_argument("--rounds", type=int, help="substitute rounds (default 20, --quick 6)")
    parser.add_argument("--eps", type=float,
                        help="L-infinity radius of the adversaries (default: 0.3 MNIST and "
                             "Fashion-MNIST, 0.0625 CIFAR-10)")
    parser.add_argument("--lmbda", type=float, default=0.1, help="augmentation step")
    parser.add_argument("--lr", type=float,
                        help="Adam learning rate of the convex substitute (default: 1e-3, "
                             "CIFAR-10 1e-4)")
    parser.add_argument("--n-initial", type=int, default=200,
                        help="test points that seed the attacker's set")
    parser.add_argument("--augmentation", choices=("jacobian", "uniform"), default="jacobian",
                        help="the SCD01 substitute's augmentation: jacobian (x + lambda (2y - 1) "
                             "sign(w)) or uniform (the authors' code: every pixel shifted "
                             "away from the substitute's side); results in a folder of its own")
    parser.add_argument("--max-set-size", type=int,
                        help="cap of the attacker's set (default 6400, --quick 1600)")
    parser.add_argument("--attack-seed", type=int,
                        help="seed of the convex substitute's attack alone (its initialisation, "
                             "the sign of lambda per round), with the targets and points of "
                             "--seed; results in a folder of its own")
    parser.add_argument("--clip-augmented", action="store_true",
                        help="clip the convex substitute's augmented points to [0, 1] (the "
                             "SCD01 substitute's always are); results in a folder of its own")
    parser.add_argument("--keep-seeds", action="store_true",
                        help="keep the seed points in the capped set (the paper's code drops "
                             "them); results in a folder of its own")


def _classes(values):
    if [v.lower() for v in values] == ["all"]:
        return None, "all"
    try:
        classes = sorted({int(v) for v in values})
    except ValueError:
        raise SystemExit(f"--classes takes class numbers or 'all', not {values}") from None
    return classes, "v".join(map(str, classes))


class _Announced(ClassifierMixin, BaseEstimator):
    """A fitted target that passes its labels through and prints every labelling of
    the attacker's set, so that long attacks show their progress."""

    def __init__(self, model, label, n_eval):
        self.model, self.label, self.n_eval = model, label, n_eval

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self.model.classes_

    def fit(self, X, y=None):
        return self

    def predict(self, X):
        if not hasattr(self, "queries_"):
            self.queries_, self.start_ = 0, time.perf_counter()
        # queries of the evaluation set measure the attack; the others are the attack
        if len(X) != self.n_eval:
            self.queries_ += len(X)
            print(f"{self.label}: target labelled {len(X)} substitute points "
                  f"({self.queries_} queries, {time.perf_counter() - self.start_:.0f} s)",
                  flush=True)
        return self.model.predict(X)


def protocol_of(args):
    """The attack's settings: the options, or the defaults of the dataset and --quick."""
    return dict(eps=EPS[args.dataset] if args.eps is None else args.eps,
                rounds=args.rounds or (6 if args.quick else 20), lmbda=args.lmbda,
                lr=args.lr, n_initial=args.n_initial,
                max_set_size=args.max_set_size or (1600 if args.quick else 6400))


def variant_of(args, tag):
    """The results folder's variant: the task's ``tag``, then one suffix per option
    that changes the attack but not its targets."""
    if args.augmentation == "uniform" and args.substitute != ["scd01"]:
        raise SystemExit("--augmentation uniform is the SCD01 substitute's variant: "
                         "use it with --substitute scd01")
    if (args.attack_seed is not None or args.clip_augmented) and args.substitute != ["mlp"]:
        raise SystemExit("--attack-seed and --clip-augmented change the convex substitute's "
                         "attack: use them with --substitute mlp")
    suffixes = [("uniform", args.augmentation == "uniform"),
                (f"attack-seed{args.attack_seed}", args.attack_seed is not None),
                ("clipped", args.clip_augmented), ("keep-seeds", args.keep_seeds)]
    return "-".join([tag] + [suffix for suffix, chosen in suffixes if chosen])


def ran_with(record, protocol):
    """Whether the saved attack ``record`` used ``protocol``'s settings."""
    return {k: record["settings"].get(k) for k in protocol} == protocol


def split(args, n_test):
    """Indices of the seed and the evaluation points in the test set."""
    order = np.random.default_rng(args.seed).permutation(n_test)
    seeds, evaluation = order[:args.n_initial], order[args.n_initial:]
    if len(evaluation) == 0:
        raise SystemExit(f"--n-initial {args.n_initial} leaves no test point to evaluate "
                         f"on ({n_test} test points)")
    return seeds, evaluation


def _attack(kind, args, protocol, target, label, n_eval):
    """The SubstituteAttack of ``kind`` against the fitted ``target``."""
    common = dict(eps=protocol["eps"], n_rounds=protocol["rounds"], lmbda=args.lmbda,
                  n_initial=args.n_initial, max_set_size=protocol["max_set_size"],
                  keep_seeds=args.keep_seeds)
    frozen = FrozenEstimator(_Announced(target, label, n_eval))
    if kind == "mlp":
        lr = LEARNING_RATE[args.dataset] if args.lr is None else args.lr
        substitute = default_substitute().set_params(learning_rate_init=lr)
        seed = args.seed if args.attack_seed is None else args.attack_seed
        return SubstituteAttack(frozen, substitute=substitute, random_state=seed,
                                clip_augmented=args.clip_augmented, **common)
    # the paper's SCD01 substitute (Sec. III-C) as in the authors' code: one vote, the SCD01 target's seed, no random sign
    substitute = SCD01Classifier(n_estimators=1, max_iter=200 if args.quick else 1000,
                                 n_coordinates=N_COORDINATES[args.dataset],
                                 random_state=args.seed, n_jobs=1, **PAPER_PROTOCOL["scd01"])
    return SubstituteAttack(frozen, substitute=substitute, random_sign=False,
                            clip_augmented=True, augmentation=args.augmentation,
                            random_state=args.seed, **common)


def _model_name(name, inputs, model):
    if name in ("scd01", "mlp01"):
        return f"{inputs}-{name}-{model.n_estimators}votes-{model.max_iter}iters"
    return f"{inputs}-{name}"


def run(args):
    # sklearn's MLP warns at its epoch cap, which is part of the protocol here
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    # an attacker's set smaller than a batch of 128 (tiny --n-initial) is fine
    warnings.filterwarnings("ignore", message="Got `batch_size`", category=UserWarning)
    classes, tag = _classes(args.classes)
    variant = variant_of(args, tag)
    store = Store(args, "blackbox", variant=variant)
    votes = ensemble_size(args)
    protocol = protocol_of(args)
    eps, rounds = protocol["eps"], protocol["rounds"]
    X, y, X_test, y_test = load_dataset(args, classes=classes)
    n_classes = len(np.unique(y))
    seeds, evaluation = split(args, len(y_test))
    print(f"[blackbox] {args.dataset} classes {tag}: {len(y)} training rows, "
          f"{len(seeds)} seed and {len(evaluation)} evaluation test points; eps {eps}, "
          f"{rounds} rounds", flush=True)
    for inputs in args.inputs:
        X_in, X_test_in = binarise(X, X_test) if inputs == "binarised" else (X, X_test)
        X_eval, y_eval = X_test_in[evaluation], y_test[evaluation]
        for kind in args.substitute:
            # the convex substitute attacks the ensembles, SCD01 single runs (Fig. 4)
            target_votes, scd01_iters = (votes, 500) if kind == "mlp" else (1, 1000)
            for name in args.targets:
                model = make_model(name, args, votes=target_votes, scd01_iters=scd01_iters,
                                   n_classes=n_classes)
                model_name = _model_name(name, inputs, model)
                key = f"{kind}/{inputs}/{name}"
                settings = dict(model=model_name, **protocol)
                record = store.get(key)
                if record is not None and record["settings"] == settings:
                    continue
                # read only if this experiment has not saved the model itself: Table
                # I fits (and saves) the same ten-class targets, a variant attacks
                # the targets of its task's folder
                elsewhere = None
                if classes is None and inputs == "original":
                    elsewhere = partial(fitted_by, args, "table1",
                                        table1.model_name(name, votes), model)
                elif variant != tag:
                    elsewhere = partial(fitted_by, args, "blackbox", model_name, model,
                                        variant=tag)
                target, fit_seconds = store.model(
                    model_name, lambda: model.fit(X_in, y), elsewhere=elsewhere)
                start = time.perf_counter()
                attack = _attack(kind, args, protocol, target, f"[blackbox] {key}",
                                 len(evaluation))
                attack.fit(X_test_in[seeds], eval_set=(X_eval, y_eval))
                history = recorded_history(attack)
                last = history[-1]
                store.add(key, substitute=kind, inputs=inputs, target=name,
                          settings=settings, clean=last["target_accuracy"],
                          adversarial=last["target_accuracy_adv"],
                          match_clean=last["match_clean"], match_adv=last["match_adv"],
                          queries=attack.n_queries_, fit_seconds=round(fit_seconds, 1),
                          attack_seconds=round(time.perf_counter() - start, 1),
                          history=history)
    # every attack finished in this folder with this protocol, also by earlier runs
    # with other --substitute, --inputs or --targets
    store.reload()
    records = sorted((r for r in store.records.values() if ran_with(r, protocol)),
                     key=_unit_order)
    _write_tables(store, args, tag, records)
    _write_figures(store, args, tag, eps, records)
    store.write_meta(classes=tag, eps=eps, rounds=rounds, votes=votes, lmbda=args.lmbda,
                     n_initial=args.n_initial, max_set_size=protocol["max_set_size"],
                     seed_points=len(seeds), evaluation_points=len(evaluation),
                     substitute_lr=args.lr or LEARNING_RATE[args.dataset])


def recorded_history(attack):
    """The attack's ``history_`` as its record stores it, rates to 4 decimals."""
    return [{k: round(v, 4) if isinstance(v, float) else v for k, v in h.items()}
            for h in attack.history_]


def _unit_order(record):
    return (SUBSTITUTES.index(record["substitute"]), INPUTS.index(record["inputs"]),
            MODELS.index(record["target"]))


def _percent(value):
    return round(100 * value, 1)


def _write_tables(store, args, tag, records):
    long, summary = [], []
    for r in records:
        unit = {"substitute": r["substitute"], "inputs": r["inputs"], "target": r["target"]}
        long.append({**unit, "epoch": 0, "target accuracy %": _percent(r["clean"])})
        for h in r["history"]:
            long.append({
                **unit, "epoch": h["round"],
                "target accuracy %": _percent(h["target_accuracy_adv"]),
                "substitute accuracy %": _percent(h["substitute_accuracy"]),
                "match clean %": _percent(h["match_clean"]),
                "match adversarial %": _percent(h["match_adv"]),
                "set size": h["set_size"], "queries": h["total_queries"]})
        ran, planned = len(r["history"]), r["settings"]["rounds"]
        row = {**unit, "target model": r["settings"]["model"],
               "clean %": _percent(r["clean"]),
               f"epoch {planned} %": _percent(r["adversarial"]) if ran == planned else "-",
               "lowest %": _percent(min(h["target_accuracy_adv"] for h in r["history"])),
               "match clean %": _percent(r["match_clean"]),
               "match adversarial %": _percent(r["match_adv"]),
               "attack s": r["attack_seconds"]}
        if ran < planned:  # the target answered one class for the whole augmented set
            row["stopped after round"] = ran
        paper = PAPER.get((args.dataset, tag, r["substitute"], r["inputs"]), {})
        if r["target"] in paper:
            row["paper clean %"], row["paper epoch 20 %"] = paper[r["target"]]
        summary.append(row)
    if not records:
        return
    columns = list(dict.fromkeys(c for row in summary for c in row))
    quick = " (quick)" if args.quick else ""
    print(store.write_table(
        "blackbox", summary, columns,
        f"Black box on {DATASET_NAMES[args.dataset]} classes {tag}{quick}: target accuracy "
        "(%) on clean points and on the substitute's adversaries of the last round"))
    store.write_table("rounds", long, list(dict.fromkeys(c for row in long for c in row)),
                      f"Black box on {DATASET_NAMES[args.dataset]} classes {tag}{quick}: "
                      "per round (epoch 0 = clean)")


def _lines(records, field, style=None):
    lines = []
    for r in records:
        x = [h["round"] for h in r["history"]]
        y = [_percent(h[field]) for h in r["history"]]
        if field == "target_accuracy_adv":  # epoch 0: the clean accuracy
            x, y = [0] + x, [_percent(r["clean"])] + y
        lines.append((r["target"], x, y,
                      {"color": _figures.COLOURS.get(r["target"]), **(style or {})}))
    return lines


def _write_figures(store, args, tag, eps, records):
    dataset = f"{DATASET_NAMES[args.dataset]} classes {tag}{' (quick)' if args.quick else ''}"
    names = {"mlp": "convex 2x200 substitute", "scd01": "SCD01 substitute (single run)"}
    for kind in SUBSTITUTES:
        by_inputs = {inputs: [r for r in records
                              if r["substitute"] == kind and r["inputs"] == inputs]
                     for inputs in INPUTS}
        for inputs, group in by_inputs.items():
            if not group:
                continue
            what = f"{names[kind]}, {dataset}, {inputs} inputs, eps {eps}"
            _figures.curves(store.file(f"curves-{kind}-{inputs}.png"),
                            [("target accuracy on the substitute's adversaries",
                              _lines(group, "target_accuracy_adv"))],
                            f"Black box: {what}")
            _figures.curves(store.file(f"match-{kind}-{inputs}.png"),
                            [("clean points", _lines(group, "match_clean")),
                             ("adversarial points", _lines(group, "match_adv"))],
                            f"Label match rate of substitute and target: {what}",
                            ylabel="same label (%)", xlabel="epoch")
        if by_inputs["original"] and by_inputs["binarised"]:  # Fig. 6
            _figures.curves(store.file(f"binarised-{kind}.png"),
                            [(f"{inputs} inputs", _lines(group, "target_accuracy_adv"))
                             for inputs, group in by_inputs.items()],
                            f"Black box, original vs binarised inputs: {names[kind]}, "
                            f"{dataset}, eps {eps}")
