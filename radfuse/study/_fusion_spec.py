"""The one rule for fusion settings, shared by :class:`Study` and the study file."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from ..models import CLASSIFIERS

#: Fusion strategies: one more feature set, a weighted ensemble, or stacking.
FUSION_STRATEGIES = ("early", "ensemble", "stacking")
# Set by the Study, never by the fusion's settings: the block columns come from
# ``blocks`` and the parallelism is the Study's own ``n_jobs``.
_SET_BY_STUDY = ("blocks", "block_columns", "n_jobs")


def _hint(value, choices, verb: str) -> str:
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"{verb} {', '.join(choices)}"


def _type_name(value) -> str:
    return type(value).__name__


def _allowed_keys(strategy: str) -> list[str]:
    from ..fusion import StackingFusion, WeightedEnsemble

    estimator = {"ensemble": WeightedEnsemble, "stacking": StackingFusion}.get(strategy)
    params = [] if estimator is None else estimator({}).get_params(deep=False)
    return ["strategy", "blocks", *[name for name in params if name not in _SET_BY_STUDY]]


def check_fusion_spec(spec, feature_set_names, *, where: str = "Study") -> dict[str, dict]:
    """Check fusion settings and return them with each strategy made explicit.

    ``spec`` maps a fusion name to its settings: ``blocks`` (required: at
    least two feature-set names, blocks or columns), ``strategy`` (default:
    the name; one of :data:`FUSION_STRATEGIES`) and, for ``"ensemble"`` and
    ``"stacking"``, parameters of :class:`~radfuse.fusion.WeightedEnsemble` /
    :class:`~radfuse.fusion.StackingFusion` other than ``blocks``,
    ``block_columns`` and ``n_jobs`` (a ``final_estimator`` given by name must
    be one of :data:`radfuse.models.CLASSIFIERS`). ``"early"`` takes only
    ``blocks``. A fusion may not take the name of a feature set. Whether each
    entry of ``blocks`` exists in the feature table is checked by the Study,
    which has the table.

    Parameters
    ----------
    spec : dict or None
    feature_set_names : iterable of str
        The study's feature sets.
    where : str, default="Study"
        Prefix of every message, e.g. the study file's name; each message
        then names the key path (``fusion.<name>.<key>``).

    Returns
    -------
    dict of str to dict
        ``{name: {"strategy": ..., "blocks": [...], **params}}``; ``{}`` for None.

    Raises
    ------
    TypeError
        A setting of the wrong type (not a mapping, blocks not a list of strings).
    ValueError
        An unknown strategy or key, fewer than two blocks, a name clash.

    Examples
    --------
    >>> from radfuse.study import check_fusion_spec
    >>> check_fusion_spec({"stacking": {"blocks": ["US", "MG"], "final_estimator": "lr"}}, ["US"])
    {'stacking': {'strategy': 'stacking', 'blocks': ['US', 'MG'], 'final_estimator': 'lr'}}
    >>> check_fusion_spec({"blend": {"blocks": ["US", "MG"]}}, ["US"], where="study.yaml")
    Traceback (most recent call last):
    ...
    ValueError: study.yaml: fusion.blend: unknown value 'blend'; choose one of early, ensemble, stacking (the fusion's name or its 'strategy' key)
    """
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise TypeError(
            f"{where}: fusion: expected a mapping of fusion name to settings, got {spec!r} "
            f"({_type_name(spec)})"
        )
    feature_set_names = set(feature_set_names)
    checked = {}
    for name, settings in spec.items():
        key = f"fusion.{name}"
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"{where}: {key}: fusion names must be strings without '/'")
        if name in feature_set_names:
            raise ValueError(f"{where}: {key}: a fusion model may not share its name with a feature set")
        if not isinstance(settings, Mapping):
            raise TypeError(
                f"{where}: {key}: expected a mapping of keys to values, got {settings!r} "
                f"({_type_name(settings)})"
            )
        settings = dict(settings)
        strategy = settings.pop("strategy", name)
        if strategy not in FUSION_STRATEGIES:
            strategy_key = f"{key}.strategy" if "strategy" in spec[name] else key
            raise ValueError(
                f"{where}: {strategy_key}: unknown value {strategy!r}; "
                f"{_hint(strategy, FUSION_STRATEGIES, 'choose one of')} (the fusion's name or its "
                "'strategy' key)"
            )
        allowed = _allowed_keys(strategy)
        for setting in settings:
            if setting not in allowed:
                raise ValueError(
                    f"{where}: {key}.{setting}: unknown key for {strategy} fusion; "
                    f"{_hint(setting, allowed, 'allowed keys:')}"
                )
        if "blocks" not in settings:
            raise ValueError(f"{where}: {key}.blocks: missing required key")
        blocks = settings.pop("blocks")
        if isinstance(blocks, str) or not isinstance(blocks, (list, tuple)) or not all(
            isinstance(block, str) for block in blocks
        ):
            raise TypeError(
                f"{where}: {key}.blocks: expected a list of feature sets or blocks, got {blocks!r} "
                f"({_type_name(blocks)})"
            )
        if len(blocks) < 2:
            raise ValueError(f"{where}: {key}.blocks: fusion needs at least two feature sets or blocks")
        final = settings.get("final_estimator")
        if isinstance(final, str) and final not in CLASSIFIERS:
            raise ValueError(
                f"{where}: {key}.final_estimator: unknown value {final!r}; "
                f"{_hint(final, CLASSIFIERS, 'choose one of')}"
            )
        checked[name] = {"strategy": strategy, "blocks": list(blocks), **settings}
    return checked
