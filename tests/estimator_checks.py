"""Expectations shared by the scikit-learn estimator checks of radfuse's selectors."""

#: Checks that cannot apply to a step requiring a binary outcome, with the reason.
BINARY_OUTCOME_EXPECTED_FAILURES = {
    "check_dtype_object": (
        "the check passes string class labels; radfuse's binary-outcome steps "
        "need the positive class named for string labels (check_binary_target)"
    ),
}
