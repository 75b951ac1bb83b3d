"""Fig. 7: black box with a convolutional substitute against MLP01, MLP and two small CNNs.

The paper's last comparison (Sec. III-E, Fig. 7): on CIFAR-10 classes
6 vs 8 (frog, ship; ``--classes``), the protocol of ``blackbox`` (200 seed and the
other evaluation test points, 20 rounds, the set doubling to 6400 points, lambda
0.1 with a random sign per round, eps 0.0625) with a substitute of four
convolutional blocks (``cnn4``: 3x3 convolutions of 32, 64, 128 and 256 channels,
each with ReLU, max-pool and batch norm; Adam lr 1e-4, batches of 128, 20 epochs per
round, warm-started; gradients in eval mode). Targets, all trained on the training
set of the two classes: MLP01 with 400 hidden units (32 votes, 1000 iterations),
``MLPClassifier((400,))`` with the MLP's settings (logistic, SGD lr 0.01, 200
epochs), LeNet and SimpleNet80 (LeNet's convolutions, one hidden layer of 80),
trained with Adam lr 1e-3, batches of 128, 30 epochs.

The networks need PyTorch (``pip install torch``); ``--device cuda`` runs them and
MLP01 on a GPU. One saved unit per target: ``--resume`` goes on at the attack it
was in. ``--quick``: the subsets of every experiment, 4 votes and the 0/1 solver's
iterations divided by 5, 6 rounds, set capped at 1600, 5 epochs of the substitute per
round, the MLP 30 epochs.
"""

import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator

from sk01loss.attacks import SubstituteAttack

from . import _figures
from ._experiment import (Store, add_common_arguments, ensemble_size, load_dataset, make_model,
                          model_settings)
from ._common import CommandError, require
from ._torch import TorchClassifier, import_torch
from .blackbox import (_Announced, _classes, _lines, _percent, protocol_of, ran_with,
                       recorded_history, split)
from .table3 import DATASET_NAMES

TARGETS = ("mlp01", "mlp", "lenet", "simplenet80")
IMAGE_SHAPE = {"mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28), "cifar10-jpeg": (3, 32, 32)}
SUBSTITUTE_LR = 1e-4


TORCH_CPU_INSTALL = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"


def add_arguments(parser):
    add_common_arguments(parser)
    parser.set_defaults(dataset="cifar10-jpeg")
    parser.add_argument("--classes", nargs="+", default=["6", "8"],
                        help="classes of the task (default: 6 8, frog and ship)")
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--votes", type=int, help="MLP01's votes (default 32, --quick 4)")
    parser.add_argument("--hidden", type=int, default=400,
                        help="hidden units of MLP01 and the MLP")
    parser.add_argument("--rounds", type=int, help="substitute rounds (default 20, --quick 6)")
    parser.add_argument("--eps", type=float, help="L-infinity radius (default: the "
                        "dataset's, 0.0625 on CIFAR-10)")
    parser.add_argument("--lmbda", type=float, default=0.1, help="augmentation step")
    parser.add_argument("--lr", type=float, help=f"Adam learning rate of the substitute "
                        f"(default {SUBSTITUTE_LR})")
    parser.add_argument("--n-initial", type=int, default=200,
                        help="test points that seed the attacker's set")
    parser.add_argument("--max-set-size", type=int,
                        help="cap of the attacker's set (default 6400, --quick 1600)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="where the networks and MLP01 compute")


def make_target(name, args, image_shape):
    """The target ``name`` with its Fig. 7 settings (the authors' code)."""
    if name == "mlp01":
        return make_model("mlp01", args, votes=ensemble_size(args)).set_params(
            n_hidden=args.hidden, device=args.device)
    if name == "mlp":
        return make_model("mlp", args).set_params(hidden_layer_sizes=(args.hidden,))
    return TorchClassifier(name, image_shape, learning_rate=1e-3, batch_size=128, max_iter=30,
                           random_state=args.seed, device=args.device)


def make_substitute(args, image_shape):
    """The paper's convolutional substitute, trained like the convex one (Adam,
    batches of 128, 20 epochs per round, warm-started)."""
    return TorchClassifier("cnn4", image_shape, learning_rate=args.lr or SUBSTITUTE_LR,
                           batch_size=128, max_iter=5 if args.quick else 20, warm_start=True,
                           random_state=args.seed, device=args.device)


def run(args):
    # sklearn's MLP warns at its epoch cap, which is part of the protocol here
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    torch = require("torch", "fig7 (the convolutional networks)", TORCH_CPU_INSTALL)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise CommandError("fig7 --device cuda: this PyTorch sees no CUDA GPU (use --device cpu)")
    classes, tag = _classes(args.classes)
    store = Store(args, "fig7", variant=tag)
    protocol = protocol_of(args)
    image_shape = IMAGE_SHAPE[args.dataset]
    X, y, X_test, y_test = load_dataset(args, classes=classes)
    seeds, evaluation = split(args, len(y_test))
    X_eval, y_eval = X_test[evaluation], y_test[evaluation]
    print(f"[fig7] {args.dataset} classes {tag}: {len(y)} training rows, {len(seeds)} seed "
          f"and {len(evaluation)} evaluation test points; eps {protocol['eps']}, "
          f"{protocol['rounds']} rounds", flush=True)
    substitute = make_substitute(args, image_shape)
    for name in args.targets:
        model = make_target(name, args, image_shape)
        settings = dict(model=model_settings(model), substitute=model_settings(substitute),
                        **protocol)
        record = store.get(name)
        if record is not None and record["settings"] == settings:
            continue
        target, fit_seconds = store.model(name, lambda: model.fit(X, y))
        if model_settings(target) != settings["model"]:
            raise SystemExit(f"{store.model_file(name)} holds a {name} with other "
                             "settings: run without --resume, or with the same options")
        start = time.perf_counter()
        attack = SubstituteAttack(
            FrozenEstimator(_Announced(target, f"[fig7] {name}", len(evaluation))),
            substitute=substitute, eps=protocol["eps"], n_rounds=protocol["rounds"],
            lmbda=args.lmbda, n_initial=args.n_initial,
            max_set_size=protocol["max_set_size"], random_state=args.seed)
        attack.fit(X_test[seeds], eval_set=(X_eval, y_eval))
        history = recorded_history(attack)
        store.add(name, target=name, settings=settings, clean=history[-1]["target_accuracy"],
                  adversarial=history[-1]["target_accuracy_adv"],
                  queries=attack.n_queries_, fit_seconds=round(fit_seconds, 1),
                  attack_seconds=round(time.perf_counter() - start, 1), history=history)
    store.reload()
    records = [r for r in map(store.get, TARGETS) if r is not None and ran_with(r, protocol)]
    _write_results(store, args, tag, protocol, records)
    store.write_meta(classes=tag, **protocol, seed_points=len(seeds),
                     evaluation_points=len(evaluation), device=args.device,
                     torch=import_torch().__version__)


def _write_results(store, args, tag, protocol, records):
    if not records:
        return
    what = f"{DATASET_NAMES[args.dataset]} classes {tag}{' (quick)' if args.quick else ''}"
    rounds = protocol["rounds"]
    rows, long = [], []
    for r in records:
        # epoch 0: the clean accuracy
        accuracy = [r["clean"]] + [h["target_accuracy_adv"] for h in r["history"]]
        rows.append({"target": r["target"], "clean %": _percent(r["clean"]),
                     **{f"epoch {e} %": _percent(accuracy[e])
                        for e in sorted({rounds // 2, rounds}) if e < len(accuracy)},
                     "lowest %": _percent(min(accuracy)),
                     "substitute accuracy %": _percent(r["history"][-1]["substitute_accuracy"]),
                     "fit s": r["fit_seconds"], "attack s": r["attack_seconds"]})
        long += [{"target": r["target"], "epoch": e, "target accuracy %": _percent(a)}
                 for e, a in enumerate(accuracy)]
    print(store.write_table(
        "fig7", rows, list(dict.fromkeys(c for row in rows for c in row)),
        f"Black box with a convolutional substitute on {what}: target accuracy (%) on clean "
        f"points and on the substitute's adversaries (eps {protocol['eps']})"))
    store.write_table("rounds", long, list(long[0]), f"Fig. 7 on {what}: per round")
    _figures.curves(store.file("curves.png"),
                    [("target accuracy on the substitute's adversaries",
                      _lines(records, "target_accuracy_adv"))],
                    f"Black box, convolutional substitute: {what}, eps {protocol['eps']}")

