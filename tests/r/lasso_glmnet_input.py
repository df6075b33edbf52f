"""Writes tests/data/lasso_glmnet_input.csv (run from the repository root): 157 WDBC cases
(every ~3.6th row), 8 z-scored features, the outcome y and a stratified 10-fold foldid with
unequal folds (16 and 15 cases), the input of tests/r/lasso_glmnet_cv.R."""
import numpy as np, pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
rows = np.arange(0, 569, 569 / 157).astype(int)[:157]
cols = ["mean radius", "mean texture", "mean smoothness", "mean compactness", "mean concave points",
        "mean symmetry", "worst texture", "worst smoothness"]
X = X.iloc[rows][cols]
X = (X - X.mean()) / X.std(ddof=0)
y = y.iloc[rows]
foldid = np.empty(len(y), dtype=int)
for k, (_, test) in enumerate(StratifiedKFold(10, shuffle=True, random_state=0).split(X, y)):
    foldid[test] = k + 1
out = X.round(12).assign(y=y.to_numpy(), foldid=foldid)
out.columns = [c.replace(" ", "_") for c in out.columns]
out.to_csv("tests/data/lasso_glmnet_input.csv", index=False)
print(len(out), np.bincount(foldid)[1:])
