"""The study file ``radfuse init`` writes: every key, its default and what it does.

Kept as a string in a module (not a data file) so it ships in every
installation without packaging rules. ``tests/test_cli.py`` checks that it
names every key the loader (:mod:`radfuse.config`) accepts and that it loads.
"""

TEMPLATE = """\
# A radfuse study file. Run it with `radfuse run study.yaml`.
# Relative paths are read from this file's folder. Keys marked (optional) may be
# deleted; a commented-out line shows an alternative or a rarely needed key.
# Every problem is reported with the file and the key, e.g.
#   study.yaml: pipeline.spearman.threshhold: unknown key; did you mean 'threshold'?

name: My radiomics study              # (optional) title of the report

data:
  # Exactly one of `features` (a table you already have) or `manifest` (images to extract).
  features: features.csv              # one row per case; feature columns named <block>__<feature>,
                                      # e.g. MRI__original_firstorder_Mean (block MRI)
  # manifest: cohort/manifest.csv     # case_id (or ID), image, mask, and optional block, label
                                      # (the mask value of the lesion, NOT the outcome), reader
  # params: params.yaml               # (manifest only) PyRadiomics parameter file or mapping,
                                      # shared or keyed by block; PyRadiomics defaults if absent
  # preprocessing:                    # (manifest only) steps per block, applied before extraction
  #   T2: [{step: MapMaskToImage}]
  #   CT: [{step: IntensityWindow, lower: -100, upper: 300}]
  # cache_dir: cache                  # (manifest only) re-runs reuse finished extractions
  # labels: labels.csv                # outcome table (required with a manifest; optional when
                                      # the outcome is a column of the feature table)
  id_column: case_id                  # case id column (default case_id)
  label_column: outcome               # the outcome column (required)
  pos_label: 1                        # (optional) the positive outcome; needed for text labels
  # reliability: [reader1.csv, reader2.csv]   # (optional) the same cases delineated by each
                                      # reader, one table per reader; needed by pipeline.icc
  # clinical: clinical.csv            # (optional) case id + clinical variables of every case
                                      # (baseline table by split; needed by clinical_model)
  # groups: patients.csv              # (optional) case id + each case's patient or centre;
  # group_column: patient             # the hold-out, CV folds and tuning keep a group together
                                      # (without `groups`, group_column is read from `features`)

feature_sets:                         # name: the blocks and/or columns the models see
  radiomics: [MRI]                    # every MRI__* column
  # combined: [MRI, CT, age]          # blocks and single columns may be mixed

pipeline:                             # the protocol's steps, applied in this order inside every
                                      # training fold; delete a step (or set it false) to skip it
  # combat: {batch: site, covariates: [age], parametric: true, mean_only: false, eb: true}
                                      # ComBat harmonisation (Johnson 2007), fitted per training
                                      # fold; batch and covariates are columns of the feature
                                      # table(s), added to every feature set; covariates pass
                                      # through (and may be selected). Test cohorts may only hold
                                      # sites of the training table.
  # icc: {threshold: 0.9, icc_type: ICC3, unrated: keep}   # needs data.reliability or readers
                                      # in the manifest; ICC3 = ICC(3,1), two-way mixed,
                                      # consistency, single rater
  smote: {k_neighbors: 5, sampling_strategy: auto}   # oversample the minority class
  zscore: true                        # standardise with the training fold's mean and SD
  univariate: {alpha: 0.05, correction: null, normality_alpha: 0.05, levene_alpha: 0.05}
                                      # t / Welch / Mann-Whitney screening; correction:
                                      # null (none) or fdr_bh (Benjamini-Hochberg)
  spearman: {threshold: 0.9, keep: relevance}   # of each pair with |rho| > threshold keep one
  mrmr: {n_features: 10}              # keep up to this many by mRMR
  lasso: {cv: {n_splits: 10, n_repeats: 1}, rule: min, model: linear}
                                      # LASSO selection; rule: min or 1se; model: linear or logistic

classifiers: [lr, nb, svm, knn, xgboost, lightgbm, adaboost, mlp]
                                      # also available: rf, extratrees

# fusion:                             # (optional) models combining feature sets or blocks
#   early: {blocks: [MRI, CT]}        # one model on the concatenated blocks
#   ensemble:                         # weighted average of one model per block
#     blocks: [MRI, CT]
#     weighting: softmax_accuracy     # or softmax_auc, equal
#     temperature: 1.0
#     cv: 5                           # inner CV that estimates each block's weight
#   stacking:                         # a meta-learner on out-of-fold probabilities
#     strategy: stacking              # (optional) defaults to the model's name
#     blocks: [MRI, CT]
#     final_estimator: lr
#     cv: 5
#     passthrough: false
#     stack_method: predict_proba

# tuning:                             # (optional) nested grid search; `true` for radfuse's grids
#   cv: 3                             # inner folds, inside each outer training part
#   scoring: roc_auc
#   param_grid:                       # per classifier; parameter names of its pipeline step
#     lr: {clf__C: [0.01, 0.1, 1, 10]}
#     svm: {clf__estimator__C: [0.1, 1, 10]}   # the SVM sits inside its probability calibration

cv: {n_splits: 5, n_repeats: 20}      # outer repeated stratified CV on the training set
split: {test_size: 0.3}               # stratified hold-out test set
# split: {test_file: external.csv}    # or an external test set with the same columns
# split:                              # or named test cohorts, each scored by the final models
#   internal: {test_size: 0.3}        # at most one held out of `features` (or test_ids: [ids])
#   centre_B:                         # any number of external cohorts: their own case ids,
#     features: centre_b.csv          # the feature table's columns (and label column, unless
#     labels: centre_b_labels.csv     # `labels` is given); `clinical`: their clinical rows
#     clinical: centre_b_clinical.csv
# clinical_model:                     # (optional; needs data.clinical) clinical, radiomics
#   predictors: [age, grade]          # (rad-score) and combined logistic models, compared by
#   feature_set: radiomics            # DeLong/NRI/IDI; rad-score from this set's LASSO
#   n_boot: 200                       # bootstrap resamples of validation and calibration
# comparisons:                        # (optional) DeLong, NRI and IDI on the test set; default:
#   - [radiomics/lr, radiomics/nb]    # the best model by CV AUC against each set's best
output: results                       # folder of report.html, tables, figures, models
random_state: 0                       # seed of every random step (`radfuse run --seed` overrides)
n_jobs: 1                             # parallel jobs (`radfuse run --jobs` overrides)
"""
