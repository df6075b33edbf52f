"""Expectations shared by the scikit-learn estimator checks of radfuse's selectors."""

#: Checks that cannot apply to a step requiring a binary outcome, with the reason.
BINARY_OUTCOME_EXPECTED_FAILURES = {
    "check_dtype_object": (
        "the check passes string class labels; radfuse's binary-outcome steps "
        "need the positive class named for string labels (check_binary_target)"
    ),
}

#: Checks that cannot apply to ComBat, which reads the site from a batch column.
#: They run ``ComBat(batch=0)``, whose batch column then holds continuous random
#: values: every case is its own site.
COMBAT_EXPECTED_FAILURES = {
    "check_fit_idempotent": (
        "the check transforms a held-out split whose batch values are new random floats, "
        "i.e. sites not seen in fit, which ComBat rejects by design"
    ),
    "check_fit2d_1sample": (
        "one case comes from one site; ComBat needs two sites and says so instead of "
        "'1 sample'"
    ),
    "check_fit2d_1feature": (
        "a one-column table is only the batch column, leaving no feature to harmonise; "
        "ComBat says so instead of '1 feature(s)'"
    ),
}
