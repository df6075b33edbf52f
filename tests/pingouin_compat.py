"""pingouin's result tables under pingouin 0.7's names, whichever pingouin is installed.

pingouin 0.7 renamed its output columns (``p-val`` -> ``p_val``, ``CI95%`` ->
``CI95`` ...) and its ICC types (``ICC3`` -> ``ICC(C,1)``), and it needs
numpy >= 2.2.2, pandas >= 2.3 and scikit-learn >= 1.6.1. A test-only reference
must not hold radfuse's own lower bounds up, so the minimum environment runs
pingouin 0.5.4; the tests read its tables through :func:`pingouin_names`.
"""

import pingouin

_COLUMNS_BEFORE_0_7 = {
    "p-val": "p_val",
    "p-unc": "p_unc",
    "CI95%": "CI95",
    "U-val": "U_val",
    "cohen-d": "cohen_d",
}
# Shrout & Fleiss' numbering (0.5) -> McGraw & Wong's names (0.7), same order.
_ICC_TYPES_BEFORE_0_7 = {
    "ICC1": "ICC(1,1)",
    "ICC2": "ICC(A,1)",
    "ICC3": "ICC(C,1)",
    "ICC1k": "ICC(1,k)",
    "ICC2k": "ICC(A,k)",
    "ICC3k": "ICC(C,k)",
}
# The option that rounds the confidence-interval column to 2 decimals.
CI95_ROUNDING = next(key for key in pingouin.options if key.startswith("round.column.CI95"))


def pingouin_names(table):
    """``table`` (a pingouin result) with pingouin 0.7's column and ICC type names."""
    table = table.rename(columns=_COLUMNS_BEFORE_0_7)
    if "Type" in table.columns:
        table = table.assign(Type=table["Type"].replace(_ICC_TYPES_BEFORE_0_7))
    return table
