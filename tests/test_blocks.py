"""Tests of radfuse.blocks: naming, joining, embeddings and BlockTransformer.

References: pandas set operations and ``concat`` for joins, and scikit-learn's
``PCA``/``SelectKBest`` fitted directly on a block's columns for the
block-wise transformer.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from radfuse.blocks import (
    BlockTransformer,
    as_block,
    block_columns,
    join_blocks,
    list_blocks,
    load_embeddings,
    select_block,
)


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    columns = ["US__mean", "US__glcm__Contrast", "cnn_US__f0000", "cnn_US__f0001", "MG__mean", "age"]
    return pd.DataFrame(rng.random((4, 6)), index=[f"case_{i}" for i in range(4)], columns=columns)


# --------------------------------------------------------------------------
# Naming convention
# --------------------------------------------------------------------------

def test_blocks_are_split_at_the_first_separator(table):
    assert list_blocks(table) == ["US", "cnn_US", "MG"]
    assert block_columns(table, "US") == ["US__mean", "US__glcm__Contrast"]
    assert block_columns(table.columns, "cnn_US") == ["cnn_US__f0000", "cnn_US__f0001"]
    assert select_block(table, "MG").equals(table[["MG__mean"]])
    # "__x" has an empty block name and belongs to no block.
    assert list_blocks(["__x", "age", "T2__a"]) == ["T2"]


def test_missing_block_names_the_blocks_present(table):
    with pytest.raises(ValueError, match=r"block 'DCE'.*blocks present: \['US', 'cnn_US', 'MG'\]"):
        block_columns(table, "DCE")


def test_as_block_prefixes_and_refuses_prefixed_tables():
    plain = pd.DataFrame({"original_firstorder_Mean": [1.0], "original_glcm_Idm": [2.0]}, index=["c1"])
    renamed = as_block(plain, "T2")
    assert renamed.columns.tolist() == ["T2__original_firstorder_Mean", "T2__original_glcm_Idm"]
    np.testing.assert_array_equal(renamed.to_numpy(), plain.to_numpy())
    assert list(plain.columns) == ["original_firstorder_Mean", "original_glcm_Idm"]
    with pytest.raises(ValueError, match=r"already contain '__' \['T2__original_firstorder_Mean'"):
        as_block(renamed, "T2")
    with pytest.raises(ValueError, match="contains '__'"):
        as_block(plain, "MG__CC")
    with pytest.raises(TypeError, match="non-empty strings"):
        as_block(plain, "")


# --------------------------------------------------------------------------
# join_blocks
# --------------------------------------------------------------------------

def test_join_prefixes_plain_tables_and_keeps_prefixed_ones():
    us = pd.DataFrame({"mean": [1.0, 2.0]}, index=pd.Index(["c1", "c2"], name="case_id"))
    mg = pd.DataFrame({"MG__mean": [3.0, 4.0]}, index=["c2", "c1"])
    joined = join_blocks({"US": us, "MG": mg})
    expected = pd.DataFrame(
        {"US__mean": [1.0, 2.0], "MG__mean": [4.0, 3.0]}, index=pd.Index(["c1", "c2"], name="case_id")
    )
    pd.testing.assert_frame_equal(joined, expected)


def test_join_errors_name_cases_and_columns():
    us = pd.DataFrame({"mean": [1.0, 2.0, 3.0]}, index=["c1", "c2", "c3"])
    with pytest.raises(ValueError, match=r"block 'MG' lists case id\(s\) \['c2'\] more than once"):
        join_blocks({"US": us, "MG": pd.DataFrame({"a": [1, 2, 3]}, index=["c1", "c2", "c2"])})
    with pytest.raises(ValueError, match=r"missing from some blocks \(MG: \['c3'\]\).*how='inner'"):
        join_blocks({"US": us, "MG": pd.DataFrame({"a": [1, 2]}, index=["c1", "c2"])})
    duplicated_columns = pd.DataFrame([[1, 2, 3]] * 3, index=["c1", "c2", "c3"], columns=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"\['MG__a'\] occur more than once in block 'MG'"):
        join_blocks({"US": us, "MG": duplicated_columns})
    with pytest.raises(ValueError, match=r"do not start with 'MG__': \['US__mean'\]"):
        join_blocks({"MG": as_block(us, "US")})
    with pytest.raises(ValueError, match="without a case id"):
        join_blocks({"US": us.set_axis(["c1", None, "c3"], axis=0)})
    with pytest.raises(ValueError, match="how must be"):
        join_blocks({"US": us}, how="outer")


def test_inner_join_warns_and_returns_dropped_cases():
    us = pd.DataFrame({"mean": [1.0, 2.0, 3.0]}, index=["c3", "c1", "c2"])
    mg = pd.DataFrame({"mean": [4.0, 5.0]}, index=["c1", "c4"])
    with pytest.warns(UserWarning, match=r"dropped 3 case\(s\) .*\['c3', 'c2', 'c4'\]"):
        joined, dropped = join_blocks({"US": us, "MG": mg}, how="inner", return_dropped=True)
    assert joined.index.tolist() == ["c1"]
    assert joined.loc["c1"].tolist() == [2.0, 4.0]
    expected = pd.DataFrame(
        {"US": [True, True, False], "MG": [False, False, True]}, index=["c3", "c2", "c4"]
    )
    pd.testing.assert_frame_equal(dropped, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, none_dropped = join_blocks({"US": us, "MG": us}, how="inner", return_dropped=True)
    assert none_dropped.empty


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sets(st.integers(0, 15), min_size=1), min_size=1, max_size=4))
def test_inner_join_matches_pandas_intersection(case_sets):
    tables = {
        f"B{i}": pd.DataFrame({"x": np.arange(len(cases), dtype=float)}, index=sorted(cases))
        for i, cases in enumerate(case_sets)
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        joined, dropped = join_blocks(tables, how="inner", return_dropped=True)
    reference = pd.concat(
        [t.add_prefix(f"{name}__") for name, t in tables.items()], axis=1, join="inner"
    )
    pd.testing.assert_frame_equal(joined, reference.loc[joined.index])
    assert set(joined.index) == set(reference.index)
    assert set(dropped.index) == set().union(*case_sets) - set(joined.index)


# --------------------------------------------------------------------------
# load_embeddings
# --------------------------------------------------------------------------

def test_load_csv_parquet_and_npy_agree(tmp_path):
    values = np.array([[0.0, 1.5, 2.0], [3.0, 0.0, 0.25]])
    ids = ["0007", "0042"]
    table = pd.DataFrame(values, columns=["d0", "d1", "d2"]).assign(case_id=ids)
    table.to_csv(tmp_path / "emb.csv", index=False)
    table.to_parquet(tmp_path / "emb.parquet")
    np.save(tmp_path / "emb.npy", values)
    (tmp_path / "ids.txt").write_text("0007\n0042\n")
    pd.DataFrame({"case_id": ids}).to_csv(tmp_path / "ids.csv", index=False)

    from_csv = load_embeddings(tmp_path / "emb.csv", "cnn_US", expected_dim=3, known_ids=ids)
    assert from_csv.columns.tolist() == ["cnn_US__f0000", "cnn_US__f0001", "cnn_US__f0002"]
    assert from_csv.index.tolist() == ids and from_csv.index.name == "case_id"
    np.testing.assert_array_equal(from_csv.to_numpy(), values)
    for other in (
        load_embeddings(tmp_path / "emb.parquet", "cnn_US"),
        load_embeddings(tmp_path / "emb.npy", "cnn_US", ids_path=tmp_path / "ids.txt"),
        load_embeddings(str(tmp_path / "emb.npy"), "cnn_US", ids_path=tmp_path / "ids.csv"),
    ):
        pd.testing.assert_frame_equal(other, from_csv)


def test_several_files_are_stacked_and_must_agree(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((2, 4)))
    np.save(tmp_path / "b.npy", np.zeros((1, 4)))
    np.save(tmp_path / "c.npy", np.zeros((1, 5)))
    (tmp_path / "a.txt").write_text("c1\nc2\n")
    (tmp_path / "b.txt").write_text("c3\n")
    (tmp_path / "dup.txt").write_text("c2\n")
    both = load_embeddings([tmp_path / "a.npy", tmp_path / "b.npy"], "cnn", ids_path=[tmp_path / "a.txt", tmp_path / "b.txt"])
    assert both.index.tolist() == ["c1", "c2", "c3"]
    np.testing.assert_array_equal(both.sum(axis=1), [4, 4, 0])
    with pytest.raises(ValueError, match="c.npy has 5 dimensions but .*a.npy has 4"):
        load_embeddings([tmp_path / "a.npy", tmp_path / "c.npy"], "cnn", ids_path=[tmp_path / "a.txt", tmp_path / "b.txt"])
    with pytest.raises(ValueError, match=r"more than one embedding for case\(s\) \['c2'\]"):
        load_embeddings([tmp_path / "a.npy", tmp_path / "b.npy"], "cnn", ids_path=[tmp_path / "a.txt", tmp_path / "dup.txt"])
    with pytest.raises(ValueError, match="one ids file per .npy file"):
        load_embeddings([tmp_path / "a.npy", tmp_path / "b.npy"], "cnn", ids_path=tmp_path / "a.txt")


def test_embedding_errors_name_cases(tmp_path):
    values = np.array([[1.0, np.nan], [2.0, 3.0], [np.inf, 0.0]])
    table = pd.DataFrame(values, columns=["d0", "d1"]).assign(case_id=["c1", "c2", "c3"])
    table.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValueError, match=r"NaN or inf values for case\(s\) \['c1', 'c3'\]"):
        load_embeddings(tmp_path / "bad.csv", "cnn")
    good = table.fillna(0).replace(np.inf, 0)
    good.to_csv(tmp_path / "good.csv", index=False)
    with pytest.raises(ValueError, match=r"2 dimensions, expected 2048"):
        load_embeddings(tmp_path / "good.csv", "cnn", expected_dim=2048)
    with pytest.raises(ValueError, match=r"not in known_ids: \['c3'\]"):
        load_embeddings(tmp_path / "good.csv", "cnn", known_ids=["c1", "c2"])
    with pytest.raises(ValueError, match="no id column 'patient'"):
        load_embeddings(tmp_path / "good.csv", "cnn", id_column="patient")
    good.assign(site="A").to_csv(tmp_path / "text.csv", index=False)
    with pytest.raises(ValueError, match=r"non-numeric column\(s\) \['site'\]"):
        load_embeddings(tmp_path / "text.csv", "cnn")
    np.save(tmp_path / "e.npy", np.zeros((3, 2)))
    with pytest.raises(ValueError, match="pass ids_path"):
        load_embeddings(tmp_path / "e.npy", "cnn")
    (tmp_path / "two.txt").write_text("c1\nc2\n")
    with pytest.raises(ValueError, match="has 3 rows but .*two.txt lists 2 case ids"):
        load_embeddings(tmp_path / "e.npy", "cnn", ids_path=tmp_path / "two.txt")
    with pytest.raises(ValueError, match="use .csv, .parquet or .npy"):
        load_embeddings(tmp_path / "two.txt", "cnn")


# --------------------------------------------------------------------------
# BlockTransformer
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(1)
    n = 60
    y = pd.Series(np.repeat([0, 1], n // 2), name="malignant")
    us = pd.DataFrame(rng.standard_normal((n, 6)) + 0.8 * y.to_numpy()[:, None] * (np.arange(6) < 2))
    cnn = pd.DataFrame(np.maximum(rng.standard_normal((n, 12)), 0))
    mg = pd.DataFrame(rng.standard_normal((n, 3)))
    X = pd.concat([as_block(us.add_prefix("f"), "US"), as_block(cnn.add_prefix("f"), "cnn"), as_block(mg.add_prefix("f"), "MG")], axis=1)
    return X, y


def test_block_pca_equals_pca_on_the_block_alone(cohort):
    X, y = cohort
    reducer = BlockTransformer({"cnn": PCA(n_components=3)}, remainder="drop").set_output(transform="pandas")
    reduced = reducer.fit_transform(X, y)
    reference = PCA(n_components=3).fit(select_block(X, "cnn")).transform(select_block(X, "cnn"))
    np.testing.assert_allclose(reduced.to_numpy(), reference, atol=1e-10)
    assert reduced.columns.tolist() == ["cnn__pca0", "cnn__pca1", "cnn__pca2"]
    assert reduced.index.equals(X.index)


def test_selectors_receive_y_and_keep_block_names(cohort):
    X, y = cohort
    transformer = BlockTransformer(
        {"US": SelectKBest(f_classif, k=2), "cnn": PCA(n_components=2)}
    ).set_output(transform="pandas")
    out = transformer.fit_transform(X, y)
    reference = SelectKBest(f_classif, k=2).fit(select_block(X, "US"), y)
    kept = reference.get_feature_names_out().tolist()
    assert kept == ["US__f0", "US__f1"]
    assert out.columns.tolist() == kept + ["cnn__pca0", "cnn__pca1", "MG__f0", "MG__f1", "MG__f2"]
    pd.testing.assert_frame_equal(out[select_block(X, "MG").columns], select_block(X, "MG"))
    assert transformer.block_columns_["US"] == block_columns(X, "US")
    assert transformer.get_feature_names_out().tolist() == out.columns.tolist()


def test_passthrough_block_selects_one_block(cohort):
    X, _ = cohort
    selector = BlockTransformer({"MG": "passthrough"}, remainder="drop").set_output(transform="pandas")
    pd.testing.assert_frame_equal(selector.fit_transform(X), select_block(X, "MG"))


def test_fitted_on_training_folds_only(cohort):
    X, y = cohort
    model = make_pipeline(BlockTransformer({"cnn": PCA(n_components=2)}), StandardScaler(), LogisticRegression())
    folds = list(StratifiedKFold(3).split(X, y))
    result = cross_validate(model, X, y, cv=folds, return_estimator=True)
    for (train, _), fitted in zip(folds, result["estimator"]):
        pca = fitted[0].column_transformer_.named_transformers_["cnn"]
        np.testing.assert_allclose(pca.mean_, select_block(X.iloc[train], "cnn").mean().to_numpy(), atol=1e-12)


def test_block_transformer_params_clone_and_errors(cohort):
    X, y = cohort
    transformer = BlockTransformer({"cnn": make_pipeline(StandardScaler(), PCA(n_components=2))})
    assert transformer.get_params()["transformers__cnn__pca__n_components"] == 2
    tuned = clone(transformer).set_params(transformers__cnn__pca__n_components=4)
    assert tuned.fit(X).transform(X).shape == (len(X), 4 + 6 + 3)
    assert transformer.get_params()["transformers__cnn__pca__n_components"] == 2

    with pytest.raises(TypeError, match="X must be a DataFrame"):
        transformer.fit(X.to_numpy())
    with pytest.raises(ValueError, match="no column belongs to block 'T2'"):
        BlockTransformer({"T2": PCA()}).fit(X)
    with pytest.raises(ValueError, match="The 'remainder' parameter of BlockTransformer must be a str among"):
        BlockTransformer({"cnn": PCA()}, remainder="scale").fit(X)
    with pytest.raises(ValueError, match="The 'n_jobs' parameter of BlockTransformer must be"):
        BlockTransformer({"cnn": PCA()}, n_jobs="2").fit_transform(X)
    with pytest.raises(TypeError, match="The 'transformers' parameter of BlockTransformer must be"):
        BlockTransformer([("cnn", PCA())]).fit(X)
    with pytest.raises(ValueError, match="'remainder' is reserved"):
        BlockTransformer({"remainder": PCA()}).fit(X)
    with pytest.raises(TypeError, match="maps to 'scale'; expected an estimator or 'passthrough' or 'drop'"):
        BlockTransformer({"cnn": "scale"}).fit(X)
    fitted = BlockTransformer({"cnn": PCA(n_components=2)}).fit(X)
    with pytest.raises(ValueError, match="feature names"):
        fitted.transform(X[X.columns[::-1]])
