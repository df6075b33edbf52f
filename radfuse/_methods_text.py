"""Wording shared by every step's methods sentence and the report's methods text.

Each protocol step writes its own sentence (``describe_method``); these helpers
keep the phrasing of cross-validation schemes, ICC forms and counts identical
wherever they appear.
"""

from __future__ import annotations

from .model_selection import CaseGroupSplitter


def describe_cv(cv) -> str:
    """A cross-validation scheme (an int or a splitter) as a phrase, e.g. '20 repeats of stratified 10-fold cross-validation'."""
    if isinstance(cv, CaseGroupSplitter):
        cv = cv.cv
    n_splits = getattr(cv, "n_splits", None) or getattr(cv, "cvargs", {}).get("n_splits")
    n_repeats = getattr(cv, "n_repeats", None)
    if isinstance(cv, int):
        return f"stratified {cv}-fold cross-validation"
    if n_repeats and n_splits:
        grouping = " with each patient's or centre's cases in one fold" if "Group" in type(cv).__name__ else ""
        return f"{n_repeats} repeats of stratified {n_splits}-fold cross-validation{grouping}"
    if n_splits:
        return f"{n_splits}-fold cross-validation ({type(cv).__name__})"
    return f"the splitter {cv!r}"


def count_noun(n: int, noun: str) -> str:
    """'1 feature', '3 features'."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def join_words(words) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = [str(word) for word in words]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


#: Shrout & Fleiss / McGraw & Wong forms of the ICC types radfuse computes.
ICC_FORMS = {
    "ICC1": "ICC(1,1): one-way random effects, absolute agreement, single rater",
    "ICC2": "ICC(2,1): two-way random effects, absolute agreement, single rater",
    "ICC3": "ICC(3,1): two-way mixed effects, consistency, single rater",
    "ICC1k": "ICC(1,k): one-way random effects, absolute agreement, mean of k raters",
    "ICC2k": "ICC(2,k): two-way random effects, absolute agreement, mean of k raters",
    "ICC3k": "ICC(3,k): two-way mixed effects, consistency, mean of k raters",
}


def icc_form(icc_type: str) -> str:
    """The Shrout & Fleiss form of an ICC type, or the type itself where radfuse has no wording for it."""
    return ICC_FORMS.get(icc_type, icc_type)


class MethodSentenceMixin:
    """Mixin of the protocol's steps: each states its own methods-section sentence.

    The report's methods text (:func:`radfuse.report.methods_text`) joins the
    sentences of a fitted pipeline's steps; a step implements
    :meth:`describe_method` from its parameters alone, so the sentence names
    exactly the settings that ran.
    """

    def describe_method(self, *, class_counts=None, kept_range=None) -> str:
        """One methods-section sentence stating this step's parameters.

        Parameters
        ----------
        class_counts : tuple of (int, int), optional
            ``(n_negative, n_positive)`` of the training set, for steps whose
            wording depends on the classes (SMOTE names the class it
            oversampled, or says that a balanced training set received no
            synthetic case).
        kept_range : tuple of (int, int), optional
            Fewest and most features the step kept over the final refit and
            the CV folds, for the steps that report how many they kept.

        Returns
        -------
        str
        """
        raise NotImplementedError(f"{type(self).__name__} does not state a methods sentence.")
