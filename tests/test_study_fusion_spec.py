"""check_fusion_spec: the one rule for fusion settings (Study and the study file)."""

import pytest

from radfuse.study import check_fusion_spec


def test_strategy_is_made_explicit_and_parameters_kept():
    checked = check_fusion_spec(
        {"late": {"strategy": "ensemble", "blocks": ("US", "MG"), "weighting": "auc"},
         "early": {"blocks": ["US", "MG"]}},
        ["US"],
    )
    assert checked == {
        "late": {"strategy": "ensemble", "blocks": ["US", "MG"], "weighting": "auc"},
        "early": {"strategy": "early", "blocks": ["US", "MG"]},
    }
    assert check_fusion_spec(None, ["US"]) == {}


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ([("stacking", {})], TypeError, "cfg: fusion: expected a mapping"),
        ({"US": {"strategy": "early", "blocks": ["US", "MG"]}}, ValueError,
         "cfg: fusion.US: a fusion model may not share its name with a feature set"),
        ({"stacking": ["US", "MG"]}, TypeError, "cfg: fusion.stacking: expected a mapping"),
        ({"blend": {"blocks": ["US", "MG"]}}, ValueError, "cfg: fusion.blend: unknown value 'blend'"),
        ({"x": {"strategy": "stackin", "blocks": ["US", "MG"]}}, ValueError,
         "cfg: fusion.x.strategy: unknown value 'stackin'; did you mean 'stacking'?"),
        ({"early": {"blocks": ["US", "MG"], "cv": 3}}, ValueError,
         "cfg: fusion.early.cv: unknown key for early fusion; allowed keys: strategy, blocks"),
        ({"stacking": {"blocks": ["US", "MG"], "n_jobs": 2}}, ValueError,
         "cfg: fusion.stacking.n_jobs: unknown key for stacking fusion"),
        ({"stacking": {"blocks": ["US", "MG"], "final_estimatr": "lr"}}, ValueError,
         "cfg: fusion.stacking.final_estimatr: unknown key for stacking fusion; did you mean 'final_estimator'?"),
        ({"stacking": {}}, ValueError, "cfg: fusion.stacking.blocks: missing required key"),
        ({"stacking": {"blocks": "US"}}, TypeError, "cfg: fusion.stacking.blocks: expected a list"),
        ({"stacking": {"blocks": ["US"]}}, ValueError, "cfg: fusion.stacking.blocks: fusion needs at least two"),
        ({"stacking": {"blocks": ["US", "MG"], "final_estimator": "svn"}}, ValueError,
         "cfg: fusion.stacking.final_estimator: unknown value 'svn'; did you mean 'svm'?"),
    ],
)
def test_mistakes_name_the_key_path(spec, error, message):
    with pytest.raises(error) as caught:
        check_fusion_spec(spec, ["US"], where="cfg")
    assert str(caught.value).startswith(message)
