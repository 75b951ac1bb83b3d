"""PNG figures in the paper's style: annotated heatmaps for transfer matrices
(Tables III, IV) and accuracy-per-round curves for the black box (Figs. 3-6).

matplotlib (``pip install matplotlib``) draws them with the Agg backend, so no
display is needed; without it the experiments still write their tables and say that
the figures were skipped.
"""

import textwrap

import numpy as np

DPI = 100
# one colour per model in every figure, in the paper's order
COLOURS = {"svm": "tab:blue", "scd01": "tab:orange", "mlp": "tab:green", "mlp01": "tab:red",
           "lenet": "tab:purple", "simplenet80": "tab:brown"}


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no figures (pip install matplotlib)",
              flush=True)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _wrap(title, n_panels):
    return textwrap.fill(title, width=60 * n_panels)


def _save(plt, fig, path, title, n_panels):
    """Lay out ``fig``'s panels under one wrapped title, write it to ``path`` and close
    it; returns the path."""
    fig.tight_layout()
    fig.suptitle(_wrap(title, n_panels), fontsize=10, y=1.0, va="bottom")
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def heatmaps(path, panels, rows, columns, title):
    """Side-by-side heatmaps of accuracies in % with every cell annotated.

    ``panels`` is a list of ``(subtitle, matrix)``, each matrix ``len(rows) x
    len(columns)`` (NaN cells stay blank). Returns the path, or None without
    matplotlib.
    """
    plt = _pyplot()
    if plt is None:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(1.2 + 3.6 * len(panels), 3.6),
                             squeeze=False)
    for ax, (subtitle, matrix) in zip(axes[0], panels):
        matrix = np.asarray(matrix, dtype=float)
        # red = the attack succeeds (low accuracy), green = the target resists
        image = ax.imshow(np.ma.masked_invalid(matrix), cmap="RdYlGn", vmin=0, vmax=100)
        for (i, j), value in np.ndenumerate(matrix):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=9)
        ax.set_xticks(range(len(columns)), columns)
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xlabel("target")
        ax.set_title(subtitle, fontsize=10)
    axes[0][0].set_ylabel("source of the adversaries")
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="accuracy (%)")
    fig.suptitle(_wrap(title, len(panels)), fontsize=10, y=0.98, va="bottom")
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def curves(path, panels, title, ylabel="accuracy (%)", xlabel="epoch (0 = clean)",
           xscale="linear"):
    """Line plots against the round ("epoch" in the paper), one panel per entry of
    ``panels``: ``(subtitle, lines)``, each line ``(label, x, y, style)`` with
    ``style`` a dict of matplotlib keywords. Returns the path, or None without
    matplotlib."""
    plt = _pyplot()
    if plt is None:
        return None
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator

    fig, axes = plt.subplots(1, len(panels), figsize=(0.6 + 4.4 * len(panels), 3.6),
                             squeeze=False, sharey=True)
    for ax, (subtitle, lines) in zip(axes[0], panels):
        for label, x, y, style in lines:
            ax.plot(x, y, marker="o", markersize=3, label=label, **style)
        ax.set_xlabel(xlabel)
        ax.set_xscale(xscale)
        if xscale == "linear":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))  # 1, 10, 100, not 10^k
        ax.set_title(subtitle, fontsize=10)
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel(ylabel)
    return _save(plt, fig, path, title, len(panels))


def tradeoff(path, panels, title, xlabel="CPU seconds (log scale)", ylabel="test accuracy (%)"):
    """Scatter plots of accuracy against cost, one panel per entry of ``panels``:
    ``(subtitle, points)``, each point ``(label, x, y, style)`` with ``style`` a dict
    of matplotlib keywords (points sharing a ``label`` get one legend entry); every
    panel has its own y range. Returns the path, or None without matplotlib."""
    plt = _pyplot()
    if plt is None:
        return None
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    fig, axes = plt.subplots(1, len(panels), figsize=(0.6 + 4.4 * len(panels), 3.8),
                             squeeze=False)
    for ax, (subtitle, points) in zip(axes[0], panels):
        seen = set()
        for label, x, y, style in points:
            ax.scatter([x], [y], label=None if label in seen else label, **style)
            seen.add(label)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(xlabel)
        ax.set_title(subtitle, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel(ylabel)
    return _save(plt, fig, path, title, len(panels))
