"""radfuse's figure style and the helpers every figure module shares: colours, axes, legends, input checks."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .._validation import check_probabilities, check_scores

__all__ = ["model_colours"]


STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "svg.fonttype": "none",
}
#: Colours of the true classes in the waterfall plot and of LASSO coefficient signs.
NEGATIVE_COLOUR, POSITIVE_COLOUR = "#4477AA", "#CC3311"
REFERENCE_COLOUR = "0.45"
PANEL_SIZE = (4.6, 4.2)


def styled(plot):
    """Draw under radfuse's style, whatever the user's rcParams."""

    @functools.wraps(plot)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return plot(*args, **kwargs)

    return wrapper


def model_colours(names: Sequence[str]) -> dict[str, tuple]:
    """One distinct colour per model, in order.

    tab10 (or tab20 beyond nine models) without its greys, which are kept
    for reference lines such as treat-all and chance.
    """
    names = list(names)
    palette = matplotlib.colormaps["tab10" if len(names) <= 9 else "tab20"].colors
    colours = [colour for colour in palette if len(set(np.round(colour, 3))) > 1]
    return {name: colours[index % len(colours)] for index, name in enumerate(names)}


def figure_and_axes(ax, size=PANEL_SIZE):
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def finish_legend(ax, *, title=None):
    """A legend under the axes, outside the data, in two columns beyond three entries.

    Constrained layout makes room for it, so it never hides a curve or an error bar.
    """
    handles, _ = ax.get_legend_handles_labels()
    size = 7.5 if len(handles) <= 6 else 6.5
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncols=1 if len(handles) <= 3 else 2,
        fontsize=size,
        title=title,
        title_fontsize=size,
        handlelength=1.6,
    )


def check_models(probs, step: str, n_samples: int, *, probabilities: bool) -> dict:
    if not isinstance(probs, Mapping) or not probs:
        raise TypeError(
            f"{step}: pass the predictions as a non-empty dict of model name -> scores; "
            f"got {type(probs).__name__}."
        )
    check = check_probabilities if probabilities else check_scores
    return {
        str(name): check(values, step=step, name=f"predictions of {name!r}", n_samples=n_samples)
        for name, values in probs.items()
    }


def square_unit_axes(ax, xlabel: str, ylabel: str) -> None:
    ax.plot([0, 1], [0, 1], linestyle="--", linewidth=0.8, color=REFERENCE_COLOUR)
    ax.set(xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), xlabel=xlabel, ylabel=ylabel)
    ax.set_aspect("equal")


def short_name(name: str, limit: int = 48) -> str:
    """Shorten a long feature name in the middle, keeping its block and its feature."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 3
    return name[:head] + "\u2026" + name[-(limit - 1 - head):]
