"""The CFIR coding report, built once: every table the report shows and the sentences about them.

:func:`coding_report` reads the coding (and, when given, a second coder's coding and a grouping of
the cases into high and low implementation) and computes the report's tables; the methods of
:class:`CodingReport` give its sentences and publishable tables, so ``notebooks/cfir_coding.ipynb``
only displays them (as ``cscs_eval.evaluation`` does for the evaluation report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscs_eval.cfir._coding import Coding, load_coding, to_coding_sheet
from cscs_eval.cfir._plots import facilitators_barriers_figure, heatmap
from cscs_eval.cfir._ratings import (_check_by, counts_by_domain, coverage, distinguishing_constructs, matrix,
                                     themes_table)
from cscs_eval.cfir._reliability import agreement, blank_reason, case_agreement, disagreements
from cscs_eval.cfir._suggest import suggest, uncoded_passages
from cscs_eval.errors import UsageError
from cscs_eval.reporting.plain import count, listing, number_words, plural, sentence
from cscs_eval.results import Result
from cscs_eval.stats import format_number

__all__ = ["CodingReport", "coding_report", "MIN_RATED", "LABELS"]

#: Fewer ratings compared than this give no meaningful chance-corrected statistic (weighted kappa,
#: Krippendorff's alpha) for one construct; the agreement table leaves them out.
MIN_RATED = 5

#: Column labels of the report's tables.
LABELS = {"construct_id": "ID", "construct": "Construct", "domain": "Domain", "n_excerpts": "Excerpts",
          "n_cases": "Cases", "mean_rating": "Mean case rating", "classification": "Classification",
          "n_constructs": "Constructs", "n_high": "High cases", "n_low": "Low cases",
          "mean_high": "Mean rating, high", "mean_low": "Mean rating, low", "difference": "Difference",
          "distinguishing": "Distinguishes", "percent_agreement": "Agreement on presence",
          "kappa": "Kappa (presence)", "weighted_kappa": "Weighted kappa (ratings)",
          "krippendorff_alpha": "Krippendorff's alpha (ratings)", "n_rated": "Ratings compared",
          "rating_a": "Coder A", "rating_b": "Coder B", "case": "Case", "source": "Contact",
          "ratings": "Rating, coder A / coder B", "difference_kind": "Disagreement", "theme": "Theme",
          "domains": "Domains", "constructs": "Constructs", "line": "Line", "passage": "Paragraph",
          "suggestions": "Suggested codes (id, score), best first"}


@dataclass(repr=False)
class CodingReport(Result):
    """Everything the CFIR coding report shows; ``table`` is the construct summary.

    Built by :func:`coding_report`. ``distinguishing`` is None without a grouping of the cases;
    ``agreement``, ``case_agreement`` and ``disagreements`` are None without a second coder.
    """

    coding: Coding
    table: pd.DataFrame = field()  # required: field() hides the base class's ``table = None``
    by: str = field()
    by_domain: pd.DataFrame
    matrix: pd.DataFrame
    coverage: pd.DataFrame
    themes: pd.DataFrame
    distinguishing: pd.DataFrame | None = None
    agreement: pd.DataFrame | None = None
    case_agreement: pd.DataFrame | None = None
    disagreements: pd.DataFrame | None = None
    suggestions: pd.DataFrame | None = None
    sources: dict = field(default_factory=dict)

    labels = LABELS
    min_rated = MIN_RATED

    # ---- the summary -----------------------------------------------------------------------

    def strongest(self, kind: str) -> list[str]:
        """The constructs classified as strong ``kind`` ("facilitator" or "barrier"), in codebook order."""
        if kind not in ("facilitator", "barrier"):
            raise UsageError(f"kind must be 'facilitator' or 'barrier', got {kind!r}")
        return self.table.loc[self.table["classification"] == f"strong {kind}", "construct"].tolist()

    def distinguished(self) -> pd.DataFrame | None:
        """The constructs that distinguish high from low implementation cases (None without groups)."""
        if self.distinguishing is None:
            return None
        return self.distinguishing[self.distinguishing["distinguishing"].str.endswith("ly distinguishing")]

    def text(self, *, markdown: bool = False) -> str:
        """The report's summary in sentences that quote the key numbers (``**bold**`` with ``markdown``)."""
        def em(text):
            return f"**{text}**" if markdown else text

        t, s, by = self.coding.table, self.table, self.by
        strong_f, strong_b = self.strongest("facilitator"), self.strongest("barrier")
        n_weak = int(s["classification"].isin(["weak facilitator", "weak barrier"]).sum())
        said = (f"The coding holds {em(count(len(t), 'code'))} on {count(t['excerpt_id'].nunique(), 'excerpt')} from "
                f"{count(t['source'].nunique(), 'kind', words=True)} of contact across "
                f"{em(count(t[by].nunique(), str(by).replace('_', ' '), words=True))}, touching "
                f"{em(count(len(s), 'CFIR construct'))} in "
                f"{'all five' if s['domain'].nunique() == 5 else number_words(s['domain'].nunique()) + ' of the five'}"
                " domains. "
                f"Across {plural(str(by).replace('_', ' '))}, "
                f"{em(count(len(strong_f), 'construct') + (' was a strong facilitator' if len(strong_f) == 1 else ' were strong facilitators'))}"
                f" and {em(count(len(strong_b), 'strong barrier'))}; {number_words(n_weak)} more helped or hindered "
                f"weakly. The strong barriers were {listing(strong_b)}.")
        found = self.distinguished()
        if found is not None:
            said += (" " + sentence(f"{count(len(found), 'construct')} distinguished the high from the low "
                                    f"implementation cases ({(found['distinguishing'] == 'strongly distinguishing').sum()}"
                                    " strongly)."))
        if self.agreement is not None:
            overall = self.agreement.iloc[-1]
            on_ratings = ("" if pd.isna(overall["weighted_kappa"]) else
                          f" and on ratings with weighted kappa {format_number(overall['weighted_kappa'], decimals=2)}")
            said += (f" Two coders agreed on which constructs applied with pooled kappa "
                     f"{format_number(overall['kappa'], decimals=2)}"
                     f"{on_ratings} ({overall['n_excerpts']} shared excerpts).")
        return said

    # ---- sections --------------------------------------------------------------------------

    def constructs_table(self) -> pd.DataFrame:
        """Every construct coded, with its excerpts, cases, mean case rating and classification."""
        return self.table[["construct", "domain", "n_excerpts", "n_cases", "mean_rating", "classification"]]

    def distinguishing_text(self) -> str:
        """How many constructs distinguish the high from the low implementation cases."""
        found = self.distinguished()
        if found is None:
            return "No grouping of cases into high and low implementation was given, so this section is empty."
        n_compared = int((self.distinguishing["distinguishing"] != "insufficient data").sum())
        return sentence(f"{len(found)} of the {count(n_compared, 'construct')} rated in both groups "
                        f"{'distinguishes' if len(found) == 1 else 'distinguish'} the high from the low implementation "
                        f"cases ({(found['distinguishing'] == 'strongly distinguishing').sum()} strongly).")

    def distinguishing_table(self) -> pd.DataFrame | None:
        """The distinguishing constructs, means to one decimal place (None without groups)."""
        found = self.distinguished()
        if found is None:
            return None
        rounded = {c: found[c].map(lambda v: format_number(v, decimals=1))
                   for c in ("mean_high", "mean_low", "difference")}
        return found.drop(columns=["construct_id"]).assign(**rounded)

    def agreement_text(self) -> str:
        """What the two coders agreed on, in sentences (empty without a second coder)."""
        if self.agreement is None:
            return "No second coder's file was given, so agreement is not reported."
        overall, case_overall = self.agreement.iloc[-1], self.case_agreement.iloc[-1]
        return (
            f"The two coders shared **{overall['n_excerpts']} excerpts**. Cohen's kappa on whether a construct "
            f"applied, pooled over constructs, was **{format_number(overall['kappa'], decimals=2)}** (raw agreement "
            f"{format_number(overall['percent_agreement'], decimals=1, share=True)} of excerpt-construct pairs, most "
            "of them constructs neither coder used). "
            f"{self._rating_agreement(overall['n_rated'], overall['weighted_kappa'], overall['krippendorff_alpha'])}"
            f" Rated per case from the shared excerpts, the coders gave the same case rating in "
            f"{format_number(case_overall['percent_agreement'], decimals=0, share=True)} of {case_overall['n_cases']} "
            "case-construct pairs "
            + (f"(weighted kappa not reported: {blank_reason(case_overall['n_cases'])})."
               if pd.isna(case_overall["weighted_kappa"])
               else f"(weighted kappa {format_number(case_overall['weighted_kappa'], decimals=2)}).")
        )

    @staticmethod
    def _rating_agreement(n_rated, kappa, alpha) -> str:
        if pd.isna(kappa) or pd.isna(alpha):
            return (f"On the {count(n_rated, 'rating')} both gave, weighted kappa and Krippendorff's alpha are not "
                    f"reported: {blank_reason(n_rated)}.")
        return (f"On the {n_rated} ratings both gave, weighted kappa was **{format_number(kappa, decimals=2)}** and "
                f"Krippendorff's alpha {format_number(alpha, decimals=2)}.")

    def agreement_table(self, *, min_rated: int = MIN_RATED) -> pd.DataFrame | None:
        """Agreement by construct; weighted kappa and alpha left out where fewer than ``min_rated``
        ratings were compared (None without a second coder)."""
        if self.agreement is None:
            return None
        few = self.agreement["n_rated"] < min_rated
        shown = self.agreement.assign(weighted_kappa=self.agreement["weighted_kappa"].mask(few),
                                      krippendorff_alpha=self.agreement["krippendorff_alpha"].mask(few))
        return shown[["construct", "n_excerpts", "percent_agreement", "kappa", "n_rated", "weighted_kappa",
                      "krippendorff_alpha"]]

    def disagreements_table(self) -> pd.DataFrame | None:
        """Every disagreement for the consensus meeting, the two ratings side by side (None without a
        second coder)."""
        if self.disagreements is None:
            return None
        d = self.disagreements
        ratings = d["rating_a"].fillna("not coded") + " / " + d["rating_b"].fillna("not coded")
        return d.assign(ratings=ratings, difference_kind=d["difference"])[
            ["case", "source", "construct", "ratings", "difference_kind"]]

    def suggestions_text(self) -> str:
        """How many paragraphs of the notes carry no code yet, and what the suggestions are."""
        n = 0 if self.suggestions is None else len(self.suggestions)
        if not n:
            return "Every paragraph of the coded notes carries a code, so there is nothing to suggest."
        return (f"{n} paragraph{'s' if n != 1 else ''} of the notes carr{'y' if n != 1 else 'ies'} no code yet. For "
                "each, the three CFIR constructs the codebook, a cue lexicon and the coding so far point to "
                "(`cscs-eval cfir suggest`): suggestions only, for the evaluator to accept or reject; none is "
                "counted above.")

    def suggestions_table(self) -> pd.DataFrame | None:
        """The uncoded paragraphs with their suggested codes (None when every paragraph is coded)."""
        if self.suggestions is None or self.suggestions.empty:
            return None
        return self.suggestions[["case", "source", "line", "passage", "suggestions"]]

    # ---- figures and files -----------------------------------------------------------------

    def figure(self, *, outcomes=None):
        """The facilitators and barriers figure, with implementation ``outcomes`` beside it."""
        return facilitators_barriers_figure(self.table, outcomes=outcomes or None)

    def heatmap(self):
        """The construct x case heatmap (an Axes)."""
        return heatmap(self.matrix)

    def tables(self) -> dict:
        """The report's tables by file name (without extension)."""
        return {"cfir_summary": self.table, "cfir_matrix": self.matrix, "cfir_by_domain": self.by_domain,
                "cfir_themes": self.themes, "cfir_coding": to_coding_sheet(self.coding)}

    def write(self, folder, *, outcomes=None) -> Path:
        """Write the tables (CSV) and the two figures (PNG) into ``folder`` (created if missing)."""
        import matplotlib.pyplot as plt

        from cscs_eval.io import atomic_path, write_table

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, table in self.tables().items():
            write_table(table, folder / f"{name}.csv")
        for name, fig in (("cfir_facilitators_barriers", self.figure(outcomes=outcomes)),
                          ("cfir_heatmap", self.heatmap().figure)):
            with atomic_path(folder / f"{name}.png") as tmp:
                fig.savefig(tmp, dpi=150, bbox_inches="tight", facecolor="white")
            plt.close(fig)
        return folder


def coding_report(coding_paths, *, aliases=None, case_ratings=None, second_coder=None, themes=None, groups=None,
                  by: str = "case") -> CodingReport:
    """Read the coding and compute every table of the CFIR coding report.

    Parameters
    ----------
    coding_paths
        Coded notes, coding sheets or folders of them (one path or a list).
    aliases, case_ratings, themes
        Alias file, case-ratings file and themes file, as :func:`~cscs_eval.cfir.load_coding` and
        :func:`~cscs_eval.cfir.themes_table` take them.
    second_coder
        A second coder's coding (files or folder) for the agreement section.
    groups
        Cases grouped into ``high`` and ``low`` implementation (file or mapping), for the
        distinguishing constructs.
    by
        The unit that is rated and compared: a column of the coding such as ``case`` or ``source``.

    Paths may be relative to the project (``data/sample/...``); ``""`` and None mean "not given".
    A ``by`` that is not a column of the coding is a :class:`~cscs_eval.errors.UsageError` raised
    before anything is computed.
    """
    from cscs_eval.io import resolve_path

    def given(value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return resolve_path(value) if isinstance(value, (str, Path)) else value

    if isinstance(coding_paths, (str, Path)):
        coding_paths = [coding_paths]
    if not coding_paths:
        raise UsageError("coding_paths must name at least one coded notes file, coding sheet or folder; got none")
    coding = load_coding([resolve_path(p) for p in coding_paths], aliases=given(aliases),
                         case_ratings=given(case_ratings))
    _check_by(coding.table, by)
    second = load_coding(given(second_coder), aliases=coding.aliases) if given(second_coder) else None
    summary = coding.summary(by=by)
    grouping = given(groups)
    uncoded = uncoded_passages([resolve_path(p) for p in coding_paths])
    suggested = suggest(uncoded, coding=coding).summary() if len(uncoded) else None
    return CodingReport(
        coding=coding, table=summary, by=by, by_domain=counts_by_domain(summary),
        matrix=matrix(coding, by=by), coverage=coverage(coding, by=by),
        themes=themes_table(coding, themes=given(themes)),
        distinguishing=None if grouping is None else distinguishing_constructs(coding, groups=grouping),
        agreement=None if second is None else agreement(coding, second),
        case_agreement=None if second is None else case_agreement(coding, second),
        disagreements=None if second is None else disagreements(coding, second),
        suggestions=suggested,
        sources={"coding": "Coded interview notes: " + ", ".join(str(p) for p in coding_paths),
                 "second_coder": str(second_coder or ""),
                 "groups": str(groups) if isinstance(groups, (str, Path)) else "the groups given"},
    )
