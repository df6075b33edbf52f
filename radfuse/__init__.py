"""radfuse: leak-free radiomics studies built from scikit-learn pieces.

Sub-packages
------------
select    feature-selection transformers (ICC, univariate, Spearman, mRMR, LASSO)
models    the protocol's classifiers and their search spaces
pipeline  the published protocol as one imbalanced-learn Pipeline
blocks    ``<block>__<feature>`` tables and per-block transformers
fusion    early fusion, WeightedEnsemble, StackingFusion
stats     model-comparison statistics matched to pROC, pingouin, scipy
extract   PyRadiomics extraction for multimodal cohorts (needs ``radfuse[extract]``)
study     the whole protocol from one configuration, with report and figures
"""

__version__ = "0.1.0"
