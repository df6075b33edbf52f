from ._methods import *  # noqa: F401,F403
from ._methods import __all__  # noqa: F401
