from ._nomogram import nomogram_points, plot_bootstrap_calibration, plot_nomogram  # noqa: F401
from ._study import *  # noqa: F401,F403
from ._study import __all__  # noqa: F401
