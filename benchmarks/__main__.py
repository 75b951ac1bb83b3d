"""``python -m benchmarks <experiment> [options]``; ``--help`` lists the experiments."""

import argparse

from . import batch_size, blackbox, demo, fig7, fit_cost, gpu_fit, memory, mnist_ensemble, \
    regions, table1, table3, table4, vote_time

EXPERIMENTS = {
    "demo": demo,
    "vote-time": vote_time,
    "fit-cost": fit_cost,
    "gpu-fit": gpu_fit,
    "memory": memory,
    "mnist-ensemble": mnist_ensemble,
    "batch-size": batch_size,
    "table1": table1,
    "table3": table3,
    "table4": table4,
    "blackbox": blackbox,
    "regions": regions,
    "fig7": fig7,
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="experiment", required=True)
    for name, module in EXPERIMENTS.items():
        module.add_arguments(commands.add_parser(name, help=module.__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    EXPERIMENTS[args.experiment].run(args)


if __name__ == "__main__":
    main()
