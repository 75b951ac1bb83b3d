"""python -m benchmarks <experiment> [options]: the paper's experiments and the
package's benchmarks. ``python -m benchmarks <experiment> --help`` describes one."""

import argparse
import os
import re
import shutil
import sys
import textwrap

from . import batch_size, blackbox, demo, fig7, fit_cost, gpu_fit, memory, mnist_ensemble, \
    regions, robustness, sparse, table1, table3, table4, vote_quality, vote_time
from ._common import CommandError

EXPERIMENTS = {
    "demo": demo,
    "vote-time": vote_time,
    "vote-quality": vote_quality,
    "fit-cost": fit_cost,
    "gpu-fit": gpu_fit,
    "memory": memory,
    "sparse": sparse,
    "mnist-ensemble": mnist_ensemble,
    "batch-size": batch_size,
    "table1": table1,
    "table3": table3,
    "table4": table4,
    "blackbox": blackbox,
    "regions": regions,
    "fig7": fig7,
    "robustness": robustness,
}


def plain(text):
    """Docstring text for a terminal: no reST ``literal`` or :role:`markup`."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)
    return text.replace("``", "")


def summary(module):
    """The first paragraph of a module's docstring (one sentence), on one line."""
    return plain(" ".join(module.__doc__.strip().split("\n\n")[0].split()))


def description(text, width=88):
    """A docstring as help text: plain, its prose paragraphs refilled to ``width``
    (lists and indented blocks are kept as they are)."""
    paragraphs = []
    for paragraph in plain(text).strip().split("\n\n"):
        lines = paragraph.splitlines()
        if any(line.startswith((" ", "-", "|")) for line in lines):
            paragraphs.append(paragraph)
        else:
            paragraphs.append(textwrap.fill(" ".join(lines), width))
    return "\n\n".join(paragraphs)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the docstrings' paragraphs; wide enough for the option lists."""

    def __init__(self, prog):
        width = min(shutil.get_terminal_size((100, 24)).columns, 100)
        super().__init__(prog, max_help_position=30, width=width)


def _show_defaults(parser):
    """Add ``(default: ...)`` to every option with a default its help does not state."""
    for action in parser._actions:
        if (not action.option_strings or action.help == argparse.SUPPRESS
                or action.default in (None, False, argparse.SUPPRESS)
                or isinstance(action, argparse._HelpAction)):
            continue
        help = plain(action.help or "")
        if "%(default)" not in help and "default" not in help.lower():
            default = (" ".join(map(str, action.default))
                       if isinstance(action.default, (list, tuple)) else "%(default)s")
            help = f"{help} (default: {default})".strip()
        action.help = help
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            action.help = plain(action.help)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", formatter_class=_Formatter,
        description=description(
            "The paper's experiments (Xue, Xie and Roshan 2020) and the package's "
            "benchmarks. Data are read from local files: --data-dir takes the datasets "
            "folder (default: $SK01LOSS_DATA or ../shared/datasets) or a dataset's own "
            "folder."),
        epilog="python -m benchmarks <experiment> --help describes an experiment and its "
               "options.")
    commands = parser.add_subparsers(dest="experiment", required=True, metavar="<experiment>",
                                     title="experiments")
    for name, module in EXPERIMENTS.items():
        sub = commands.add_parser(name, help=summary(module), description=description(module.__doc__),
                                  formatter_class=_Formatter)
        module.add_arguments(sub)
        _show_defaults(sub)
    return parser


def _folders(root):
    return {dirpath for dirpath, _, _ in os.walk(root)} if os.path.isdir(root) else set()


def _remove_new_empty_folders(root, before):
    """Delete the folders under ``root`` (and ``root``) that a failed run created and
    left empty, deepest first; nothing that existed before or holds a file."""
    for folder in sorted(_folders(root) - before, key=len, reverse=True):
        try:
            os.rmdir(folder)  # only succeeds on an empty folder
        except OSError:
            pass


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    out = getattr(args, "out", None)
    before = _folders(out) if out else set()
    try:
        EXPERIMENTS[args.experiment].run(args)
    except (CommandError, ImportError, OSError) as exc:
        if out:
            _remove_new_empty_folders(out, before)
        if isinstance(exc, ImportError) and not isinstance(exc, ModuleNotFoundError):
            raise  # a broken install, not a missing optional package
        message = " ".join(str(exc).split())
        parser.exit(2, f"python -m benchmarks {args.experiment}: error: {message}\n")
    except BaseException:
        if out:
            _remove_new_empty_folders(out, before)
        raise


if __name__ == "__main__":
    sys.exit(main())
