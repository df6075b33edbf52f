import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from radfuse.models import (
    CLASSIFIERS,
    PROTOCOL_CLASSIFIERS,
    classifier_label,
    make_classifier,
    search_space,
)


@pytest.fixture(scope="module")
def split():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def test_protocol_has_the_eight_published_classifiers():
    assert PROTOCOL_CLASSIFIERS == (
        "lr", "nb", "svm", "knn", "xgboost", "lightgbm", "adaboost", "mlp"
    )
    assert {"rf", "extratrees"} <= set(CLASSIFIERS)


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifier_gives_deterministic_useful_probabilities(name, split):
    X_train, X_test, y_train, y_test = split
    first = make_classifier(name, random_state=3).fit(X_train, y_train)
    second = clone(make_classifier(name, random_state=3)).fit(X_train, y_train)
    proba = first.predict_proba(X_test)
    assert proba.shape == (len(y_test), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_array_equal(proba, second.predict_proba(X_test))
    # WDBC is easy: every protocol classifier separates it well.
    assert roc_auc_score(y_test, proba[:, 1]) > 0.9
    assert classifier_label(name)


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_search_space_names_real_parameters(name):
    pipeline = make_pipeline(StandardScaler(), make_classifier(name))
    prefix = pipeline.steps[-1][0] + "__"
    grid = search_space(name, prefix=prefix)
    assert grid and all(values for values in grid.values())
    valid = pipeline.get_params()
    assert set(grid) <= set(valid), set(grid) - set(valid)
    pipeline.set_params(**{key: values[0] for key, values in grid.items()})


def test_grid_search_over_default_space(split):
    X_train, _, y_train, _ = split
    search = GridSearchCV(make_classifier("knn"), search_space("knn"), cv=3, scoring="roc_auc")
    search.fit(X_train, y_train)
    assert search.best_params_["n_neighbors"] in search_space("knn")["n_neighbors"]


def test_overrides_reach_the_estimator():
    assert make_classifier("lr", C=0.5).get_params()["C"] == 0.5
    svm = make_classifier("svm", C=2.0)
    assert svm.get_params()["estimator__C"] == 2.0


def test_unknown_classifier_and_parameter_are_named():
    with pytest.raises(ValueError, match=r"unknown classifier 'forest'.*'lr'"):
        make_classifier("forest")
    with pytest.raises(ValueError, match=r"make_classifier\('knn'\).*n_trees"):
        make_classifier("knn", n_trees=3)


def test_short_labels_come_from_the_classifier_specs():
    from radfuse.models import classifier_short_label

    assert {name: classifier_short_label(name) for name in PROTOCOL_CLASSIFIERS} == {
        "lr": "LR", "nb": "NB", "svm": "SVM", "knn": "KNN", "xgboost": "XGBoost", "lightgbm": "LightGBM",
        "adaboost": "AdaBoost", "mlp": "MLP",
    }
    assert classifier_short_label("my_model") == "my_model"
