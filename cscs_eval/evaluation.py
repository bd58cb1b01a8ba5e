"""The implementation evaluation, assembled from every capability for one report.

The evaluation appendix of the source board report brings together the CFIR findings,
the Lightning Report timeline, implementation outcomes (adoption, penetration), PROMs
results, the Implementation Research Logic Model and programme progress, and writes the
findings construct by construct: a heading with the construct and its rating ("Relative
advantage (++)") over prose that says where the evidence came from and quotes the interviews,
then the Lightning Reports' Insights and conclusions that follow from the barriers.

:func:`assemble` reads each input once and returns an :class:`Evaluation` holding the tables
a report shows; its methods give the report's sentences, findings and publishable tables, so
the notebook only displays them. Every input but the coding is optional, and the coding is
too: a section whose input was not given is left out (``Evaluation.has``), never shown empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cscs_eval.errors import InputError, UsageError
from cscs_eval.governance import count_text, is_small
from cscs_eval.reporting.plain import count, listing, number_words, sentence
from cscs_eval.stats import format_number

#: PROMs summary units shown in the headline table: the ReQoL-10 total, each measure across
#: its units, and the first DIALOG item and GBO goal.
HEADLINE_UNITS = ("total", "all units", "item 1", "goal 1")
RATE_COLUMNS = ("paired_rate", "improved_rate", "deteriorated_rate")
#: The rating notation of published CFIR tables, by classification (as the logic model writes it).
SYMBOLS = {"strong facilitator": "++", "weak facilitator": "+", "mixed": "±", "weak barrier": "−",
           "strong barrier": "−−", "insufficient data": "?"}
#: The sections a report may show, and the input each rests on.
SECTIONS = ("cfir", "lightning", "implementation", "delivery", "proms", "logic_model", "programme")
QUOTE_ORDERS = ("strength", "cases", "length")
#: The shortest word limit a quote rule may set: a shorter excerpt is rarely a sentence.
MIN_QUOTE_WORDS = 6


@dataclass(frozen=True)
class QuoteRule:
    """How the findings choose the quotes under each construct (the evaluator may change it).

    Parameters
    ----------
    per_construct
        Quotes under each construct, 1 to 3.
    order
        What counts first when choosing, from ``strength`` (the excerpt's rating, strongest in the
        direction of the construct's classification first), ``cases`` (an excerpt from a case not
        yet quoted first, so the quotes cover the most cases) and ``length`` (shorter first).
    max_words
        Excerpts longer than this are not quoted (if every excerpt is longer, the shortest is).

    Examples
    --------
    >>> rule = QuoteRule(per_construct=2, order=("cases", "length"))
    >>> excerpts = pd.DataFrame({"excerpt_id": ["a", "b", "c"], "case": ["North", "North", "West"],
    ...                          "excerpt": ["Short one.", "A much longer excerpt here.", "West said so."],
    ...                          "rating_value": [2.0, 2.0, 1.0]})
    >>> rule.choose(excerpts, direction=1)["excerpt_id"].tolist()
    ['a', 'c']
    """

    per_construct: int = 2
    order: tuple = QUOTE_ORDERS
    max_words: int = 45

    def __post_init__(self):
        if not isinstance(self.per_construct, int) or not 1 <= self.per_construct <= 3:
            raise UsageError(f"quotes per construct must be 1, 2 or 3, got {self.per_construct!r}")
        order = tuple(self.order)
        unknown = [o for o in order if o not in QUOTE_ORDERS]
        if unknown or not order:
            raise UsageError(f"quote order must list some of {', '.join(QUOTE_ORDERS)}, got {list(self.order)!r}")
        object.__setattr__(self, "order", order)
        if not isinstance(self.max_words, int) or self.max_words < MIN_QUOTE_WORDS:
            raise UsageError(f"quote_max_words must be a whole number of at least {MIN_QUOTE_WORDS}, got {self.max_words!r}")

    def choose(self, excerpts: pd.DataFrame, *, direction: int) -> pd.DataFrame:
        """Up to ``per_construct`` excerpts (one row each) in the order they are quoted.

        ``direction`` is +1 for a facilitator, -1 for a barrier and 0 for a mixed construct.
        """
        pool = excerpts.drop_duplicates("excerpt_id").assign(
            _words=lambda d: d["excerpt"].astype(str).str.split().str.len())
        short = pool[pool["_words"] <= self.max_words]
        pool = short if len(short) else pool.nsmallest(1, "_words")
        value = pd.to_numeric(pool["rating_value"], errors="coerce")
        # Strength in the construct's direction: +2 for a facilitator's ++, a barrier's --; a mixed
        # construct takes its strongest excerpts either way; unrated excerpts rank last.
        pool = pool.assign(_strength=(value * direction if direction else value.abs()).fillna(-3))
        chosen, cases = [], set()
        while len(chosen) < self.per_construct and len(pool):
            keys = {"strength": -pool["_strength"], "cases": pool["case"].isin(cases).astype(int),
                    "length": pool["_words"]}
            ranked = pool.assign(**{f"_k{i}": keys[o] for i, o in enumerate(self.order)})
            best = ranked.sort_values([f"_k{i}" for i in range(len(self.order))], kind="stable").index[0]
            chosen.append(best)
            cases.add(pool.loc[best, "case"])
            pool = pool.drop(best)
        return excerpts.loc[chosen]


@dataclass(frozen=True)
class Finding:
    """One construct's finding: its heading, the prose that says where it came from, and its quotes."""

    construct_id: str
    name: str
    classification: str
    heading: str
    paragraph: str
    quotes: tuple = ()
    narrative: str = ""

    def markdown(self, level: int = 3) -> str:
        parts = [f"{'#' * level} {self.heading}"]
        if self.narrative:
            parts.append(self.narrative)
        parts.append(self.paragraph)
        return "\n\n".join(parts)


def construct_heading(name: str, construct_id: str = "") -> str:
    """A CFIR construct's name as a heading reads it: sentence case, without the Innovation prefix.

    Examples
    --------
    >>> construct_heading("Innovation Relative Advantage", "I.C")
    'Relative advantage'
    >>> construct_heading("Information Technology Infrastructure", "III.A.2")
    'Information technology infrastructure'
    >>> construct_heading("Reflecting & Evaluating: Implementation", "V.H.1"), construct_heading("IT infrastructure")
    ('Reflecting & evaluating: implementation', 'IT infrastructure')
    """
    name = str(name)
    if str(construct_id).startswith("I.") and name.startswith("Innovation ") and len(name.split()) > 1:
        name = name[len("Innovation "):]
    words = name.split(" ")

    def case(word, first):
        if word.isupper() and len(word) > 1:  # an acronym: IT, PROMs's PROMS
            return word
        return word[:1].upper() + word[1:].lower() if first else word.lower()

    return " ".join(case(w, k == 0) for k, w in enumerate(words))


@dataclass
class Evaluation:
    """Everything the implementation evaluation report shows, as tables and objects.

    An input that was not given leaves its fields ``None`` and its section out (:meth:`has`).
    """

    coding: object = None  # cscs_eval.cfir.Coding
    cfir_summary: pd.DataFrame | None = None
    themes: pd.DataFrame | None = None
    lightning_timeline: pd.DataFrame | None = None
    lightning_series: object = None  # cscs_eval.lightning.LightningSeries
    lightning_reports: list = field(default_factory=list)  # cscs_eval.lightning.LightningReport, in date order
    implementation: pd.DataFrame | None = None
    outcomes: object = None  # cscs_eval.proms.OutcomesResult
    proms_summary: pd.DataFrame | None = None
    programme: object = None  # cscs_eval.progress.ProgressSummary
    model: object = None  # cscs_eval.logic_model.LogicModel
    delivery: pd.DataFrame | None = None
    sources: dict = field(default_factory=dict)
    distinguishing: pd.DataFrame | None = None
    memos: dict = field(default_factory=dict)
    quote_rule: QuoteRule = field(default_factory=QuoteRule)
    findings_per_kind: int = 4

    # ------------------------------------------------------------------ what is there
    def has(self, section: str) -> bool:
        """Whether the report has the input for ``section`` (one of :data:`SECTIONS`)."""
        if section not in SECTIONS:
            raise UsageError(f"section must be one of {', '.join(SECTIONS)}, got {section!r}")
        present = {"cfir": self.cfir_summary is not None and len(self.cfir_summary) > 0,
                   "lightning": self.lightning_series is not None,
                   "implementation": self.implementation is not None,
                   "delivery": self.delivery is not None,
                   "proms": self.proms_summary is not None,
                   "logic_model": self.model is not None,
                   "programme": self.programme is not None}
        return present[section]

    def strongest(self, kind: str, n: int = 5) -> list[str]:
        """The ``n`` constructs rated most strongly as ``kind`` ("facilitator" or "barrier")."""
        if kind not in ("facilitator", "barrier"):
            raise UsageError(f"kind must be 'facilitator' or 'barrier', got {kind!r}")
        if not self.has("cfir"):
            return []
        summary = self.cfir_summary
        chosen = summary[summary["classification"].str.endswith(kind)]
        ordered = chosen.sort_values(["mean_rating", "n_cases", "n_excerpts"],
                                     ascending=[kind == "barrier", False, False], kind="stable")
        return ordered["construct"].head(n).tolist()

    def _names(self, constructs) -> list[str]:
        ids = self.cfir_summary.set_index("construct")["construct_id"] if self.has("cfir") else {}
        return [construct_heading(c, ids.get(c, "")).lower() if not str(c).isupper() else c for c in constructs]

    # ------------------------------------------------------------------ summary
    def summary(self, *, suppress: bool = True) -> str:
        """The report's summary in sentences that quote the key numbers.

        Counts of referrals follow the published-output rules (rounded to 5, 1 to 4 as '*')
        when ``suppress`` is on. Sentences whose input was not given are left out.
        """
        sentences = []
        if self.has("cfir"):
            cases = self.coding.table["case"].nunique()
            sentences += [
                f"Barriers and facilitators were found in {count(self.cfir_summary['domain'].nunique(), 'CFIR domain')}"
                f", across {count(len(self.cfir_summary), 'construct')} coded in "
                f"{count(self.coding.table['excerpt_id'].nunique(), 'excerpt')} from "
                f"{count(cases, 'case', words=True)}.",
                f"The strongest facilitators were {listing(self._names(self.strongest('facilitator')))}; the "
                f"strongest barriers were {listing(self._names(self.strongest('barrier', 3)))}.",
            ]
        if self.has("implementation"):
            facts = self.implementation.set_index("outcome")["measure"]
            if {"Adoption", "Penetration"} <= set(facts.index):
                sentences.append(sentence(
                    f"**{facts['Adoption']}** were engaged with the work (adoption) and **{facts['Penetration']}** "
                    "had mapped their pathway and trained their staff (penetration), in the team implementation "
                    "records."))
        if self.has("lightning"):
            open_deltas = self._names(self.lightning_series.open_deltas())
            n_reports = len(self.lightning_timeline)
            sentences.append(
                f"Across {count(n_reports, 'Lightning Report', words=True)}, "
                f"{count(len(open_deltas), 'concern', words=True)} {'was' if len(open_deltas) == 1 else 'were'} "
                f"still open at the end{': ' + listing(open_deltas) if open_deltas else ''}.")
        if self.has("proms"):
            sentences += self._proms_sentences(suppress=suppress)
        if self.has("programme"):
            sentences.append(f"The programme reports {format_number(self.programme.headline, decimals=0)}% of its "
                             "tasks complete or on track.")
        return " ".join(sentences)

    def _proms_sentences(self, *, suppress: bool) -> list[str]:
        reqol = self.proms_summary[(self.proms_summary["measure"] == "reqol10")
                                   & (self.proms_summary["unit"] == "total")]
        if not len(reqol):
            return []
        r = reqol.iloc[0]
        shown = count_text(r["n_eligible"], suppress=suppress)
        if suppress and is_small(r["n_paired"]):
            return [f"Of {shown} eligible referrals, {count_text(r['n_paired'])} had a paired ReQoL-10 score."]
        paired, improved = (format_number(r[c], decimals=0, share=True) for c in ("paired_rate", "improved_rate"))
        return [f"Of {shown} eligible referrals, {paired} had a paired ReQoL-10 score; of those, {improved} showed "
                f"reliable improvement (mean change {format_number(r['mean_change'], decimals=1, sign=True)} points, "
                f"effect size {format_number(r['effect_size'], decimals=2)})."]

    # ------------------------------------------------------------------ methods
    def approach(self) -> str:
        """How the evaluation was done, for the inputs this report has (empty with none)."""
        return self._methods()[0]

    def terms(self) -> str:
        """The terms this report uses, each explained once (a Markdown list; empty with no inputs)."""
        from cscs_eval.reporting.plain import glossary

        terms = self._methods()[1]
        return glossary(terms) if terms else ""

    def _methods(self) -> tuple[str, list]:
        text, terms = [], []
        if self.has("cfir"):
            sources = listing(sorted({str(s) for s in self.coding.table["source"].dropna()}))
            text.append("Interview notes (" + sources + ") were coded deductively against the Consolidated "
                        "Framework for Implementation Research. Each construct was rated for each case from its "
                        "excerpts, and across cases classified as a strong or weak facilitator, mixed, or a weak or "
                        "strong barrier.")
            terms += ["CFIR", "CFIR rating", "facilitator", "barrier"]
            if self.distinguishing is not None:
                terms.append("distinguishing construct")
        if self.has("lightning"):
            text.append("After each contact a Lightning Report fed back what was working, what needed to change "
                        "and new insights.")
            terms.append("Lightning Report")
        if self.has("implementation"):
            text.append("Implementation outcomes come from the team implementation records.")
            terms += ["adoption", "penetration"]
        if self.has("proms"):
            text.append("Clinical outcomes come from the PROMs extract, paired and classified to NHS England's "
                        "community mental health PROMs definitions; counts are published under the small-number "
                        "rules.")
            terms += ["eligible referral", "paired score", "paired rate", "reliable improvement", "effect size",
                      "small-number suppression"]
        if self.has("logic_model"):
            text.append("An Implementation Research Logic Model ties the determinants, strategies, mechanisms and "
                        "outcomes together.")
            terms += ["implementation research logic model", "ERIC"]
        if self.has("programme"):
            terms.append("RAG status")
        return " ".join(text), terms

    # ------------------------------------------------------------------ findings by construct
    def finding_constructs(self) -> list[tuple[str, str]]:
        """The constructs the findings write up, as ``(construct_id, why)``: the strongest facilitators
        and barriers (``findings_per_kind`` of each) and the constructs that distinguished the cases."""
        if not self.has("cfir"):
            return []
        summary = self.cfir_summary.set_index("construct")
        chosen = {}
        for kind in ("facilitator", "barrier"):
            for name in self.strongest(kind, self.findings_per_kind):
                chosen.setdefault(summary.loc[name, "construct_id"], kind)
        if self.distinguishing is not None:
            strong = self.distinguishing[self.distinguishing["distinguishing"].astype(str).str.startswith("strongly")]
            for cid in strong["construct_id"]:
                chosen.setdefault(cid, "distinguishing")
        return list(chosen.items())

    def findings(self) -> list[Finding]:
        """One :class:`Finding` a construct (see :meth:`finding_constructs`), each quoting the coding."""
        from cscs_eval.cfir import rate_cases

        if not self.has("cfir"):
            return []
        table = self.coding.table
        per_case = rate_cases(self.coding)
        summary = self.cfir_summary.set_index("construct_id")
        out = []
        for cid, why in self.finding_constructs():
            row = summary.loc[cid]
            classification = str(row["classification"])
            direction = 1 if classification.endswith("facilitator") else -1 if classification.endswith("barrier") \
                else 0
            excerpts = table[(table["construct_id"] == cid) & table["excerpt"].notna()]
            quotes = self.quote_rule.choose(excerpts, direction=direction) if len(excerpts) else excerpts
            heading = f"{construct_heading(row['construct'], cid)} ({SYMBOLS.get(classification, '?')})"
            paragraph = self._finding_paragraph(cid, row, why, per_case[per_case["construct_id"] == cid], quotes)
            out.append(Finding(construct_id=cid, name=str(row["construct"]), classification=classification,
                               heading=heading, paragraph=paragraph,
                               quotes=tuple(quotes["excerpt"].astype(str)), narrative=self.memos.get(cid, "")))
        return out

    def _finding_paragraph(self, cid, row, why, cases, quotes) -> str:
        name = construct_heading(row["construct"], cid)
        n_cases_total = self.coding.table["case"].nunique()
        case_names = sorted(set(cases["case"].astype(str)))
        kinds = sorted({str(s) for s in self.coding.table.loc[self.coding.table["construct_id"] == cid, "source"]
                        .dropna()})
        mean = row["mean_rating"]
        rated = (f" (mean case rating {format_number(mean, decimals=1, sign=True)})".replace("+0.0", "0.0")
                 if pd.notna(mean) else "")
        what = "mixed" if row["classification"] == "mixed" else \
            f"{_article(row['classification'])} {row['classification']}"
        text = [f"{name} was {what}{rated}, from {count(int(row['n_excerpts']), 'coded excerpt', words=True)} in "
                f"{number_words(len(case_names))} of the {count(n_cases_total, 'case', words=True)} "
                f"({listing(case_names)}), in the notes of the {listing(kinds)}."]
        if why == "distinguishing":
            text.append("It was rated clearly higher in the cases that implemented well than in those that did not.")
        elif self.distinguishing is not None and cid in set(
                self.distinguishing.loc[self.distinguishing["distinguishing"].astype(str)
                                        .str.startswith("strongly"), "construct_id"]):
            text.append("It also distinguished the cases that implemented well from those that did not.")
        text.append(self._lightning_mention(cid))
        for _, q in quotes.iterrows():
            text.append(f"From {q['case']}'s {q['source']}: “{q['excerpt']}”")
        return " ".join(t for t in text if t)

    def _lightning_mention(self, cid) -> str:
        if not self.has("lightning"):
            return ""
        table = self.lightning_series.table
        hit = table[table["construct_id"] == cid]
        if hit.empty:
            return ""
        r = hit.iloc[0]
        parts = []
        if r["n_plus"]:
            parts.append(f"as a Plus in {count(int(r['n_plus']), 'report', words=True)}")
        if r["n_delta"]:
            status = "" if r["delta_status"] != "open" else ", still open at the end"
            parts.append(f"as a Delta in {count(int(r['n_delta']), 'report', words=True)}{status}")
        return f"The Lightning Reports raised it {listing(parts)}." if parts else ""

    def findings_markdown(self) -> str:
        """The findings-by-construct section's body: an introduction and a subsection per construct."""
        findings = self.findings()
        if not findings:
            return ""
        rule = self.quote_rule
        intro = (f"The constructs that mattered most: the strongest facilitators and barriers and those that "
                 f"distinguished the cases, each with its rating across cases and up to "
                 f"{count(rule.per_construct, 'quote', words=True)} from the coded notes (chosen by "
                 f"{listing(_ORDER_WORDS[o] for o in rule.order)}; excerpts of more than {rule.max_words} words are "
                 "not quoted).")
        return "\n\n".join([intro] + [f.markdown() for f in findings])

    # ------------------------------------------------------------------ Lightning insights
    def insights_markdown(self) -> str:
        """Every Insight of the Lightning Reports, report by report (empty without Lightning Reports)."""
        if not self.has("lightning"):
            return ""
        parts = []
        for n, report in enumerate(self.lightning_reports, 1):
            items = [i.text for i in report.insights]
            if not items:
                continue
            parts.append(f"**Report {n}, {report.date:%d %B %Y}: {_subtitle(report.title)}**\n\n"
                         + "\n".join(f"- {t}" for t in items))
        return "\n\n".join(parts)

    # ------------------------------------------------------------------ conclusions
    def barrier_strategies(self) -> list[dict]:
        """Each barrier (strongest first) with the logic model's strategies that answer it: ``construct``,
        ``symbol``, ``strategies``, ``mechanisms``, ``outcomes``, ``links`` (empty lists: no strategy yet)."""
        if not self.has("cfir"):
            return []
        summary = self.cfir_summary.set_index("construct")
        out = []
        for name in self.strongest("barrier", self.findings_per_kind):
            cid = summary.loc[name, "construct_id"]
            entry = {"construct_id": cid, "construct": construct_heading(name, cid),
                     "symbol": SYMBOLS[summary.loc[name, "classification"]], "strategies": [], "mechanisms": [],
                     "outcomes": [], "links": []}
            if self.has("logic_model"):
                ids = {d.id for d in self.model.determinants if d.construct and _same_construct(d.construct, cid)}
                nodes = self.model.nodes
                for link in self.model.links:
                    if ids & set(link.node_ids):
                        entry["links"].append(link.number)
                        for i in dict.fromkeys(link.node_ids):
                            kind = nodes[i].kind
                            key = {"strategy": "strategies", "mechanism": "mechanisms", "outcome": "outcomes"}.get(kind)
                            label = nodes[i].name if kind == "outcome" else nodes[i].label
                            if key and label not in entry[key]:
                                entry[key].append(label)
            out.append(entry)
        return out

    def conclusions_markdown(self) -> str:
        """Conclusions that follow from the barriers, tied to the logic model's strategies, and recommendations."""
        paragraphs, recommendations = [], []
        barriers = self.barrier_strategies()
        answered = [b for b in barriers if b["strategies"]]
        gaps = [b for b in barriers if not b["strategies"]]
        if barriers:
            paragraphs.append(f"The evaluation found {count(len(barriers), 'main barrier', words=True)}: "
                              f"{listing(b['construct'].lower() + ' (' + b['symbol'] + ')' for b in barriers)}.")
        for b in answered:
            links = listing(map(str, b["links"]))
            mechanism = f", working because {_lower_first(listing(b['mechanisms']))}" if b["mechanisms"] else ""
            serves = f", towards {listing(o.lower() for o in b['outcomes'])}" if b["outcomes"] else ""
            paragraphs.append(f"{b['construct']} was answered by {listing(f'*{s}*' for s in b['strategies'])} "
                              f"({'link' if len(b['links']) == 1 else 'links'} {links} of the logic model){mechanism}"
                              f"{serves}.")
            recommendations.append(f"Keep up the {'strategy' if len(b['strategies']) == 1 else 'strategies'} that "
                                   f"{'answers' if len(b['strategies']) == 1 else 'answer'} {b['construct'].lower()} ({listing(f'*{s}*' for s in b['strategies'])}) "
                                   "while it remains a barrier.")
        if gaps and self.has("logic_model"):
            paragraphs.append(f"No strategy in the logic model answers {listing(b['construct'].lower() for b in gaps)}"
                              ": a gap in the implementation plan.")
            recommendations += [f"Choose a strategy for {b['construct'].lower()} (the ERIC compilation lists 73) "
                                "and add it to the logic model." for b in gaps]
        if self.has("lightning"):
            open_deltas = self._names(self.lightning_series.open_deltas())
            if open_deltas:
                paragraphs.append(f"By the last Lightning Report {listing(open_deltas)} "
                                  f"{'was' if len(open_deltas) == 1 else 'were'} still raised as "
                                  f"{'a concern' if len(open_deltas) == 1 else 'concerns'}.")
            if self.lightning_reports:
                recommendations += [i.text for i in self.lightning_reports[-1].insights]
        if self.has("implementation"):
            facts = self.implementation.set_index("outcome")
            if "Penetration" in facts.index:
                p = facts.loc["Penetration"]
                if int(p["numerator"]) < int(p["denominator"]):
                    rest = int(p["denominator"]) - int(p["numerator"])
                    recommendations.append(f"Finish pathway mapping and training in the {count(rest, 'team')} "
                                           "not yet there (penetration).")
        if not paragraphs and not recommendations:
            return ""
        text = "\n\n".join(paragraphs)
        if recommendations:
            text += ("\n\n" if text else "") + "Recommendations:\n\n" + "\n".join(
                f"- {r}" for r in dict.fromkeys(recommendations))
        return text

    # ------------------------------------------------------------------ tables and checks
    def proms_published(self, *, suppress: bool = True):
        """Paired rate and change for the headline units, rates in %, published: a
        :class:`~cscs_eval.governance.ProtectedTable` (its table, structure and note), for the report and files."""
        from cscs_eval.proms._summary import publish_summary

        headline = self.proms_summary[self.proms_summary["unit"].isin(HEADLINE_UNITS)]
        published = publish_summary(headline, suppress=suppress, percent=True, table_id="proms_by_measure")
        # Mean change and effect size, not the means themselves: the table fits a portrait page, and the
        # PROMs outcomes report gives the means at baseline and follow-up. Counts left out are latent.
        shown = ["measure", "unit", "n_eligible", "n_paired", *RATE_COLUMNS, "mean_change", "effect_size"]
        structure = published.structure
        return published.with_table(published.table[shown].copy(), structure.replace(
            latent=tuple(c for c in structure.counts if c not in shown)))

    def proms_table(self, *, suppress: bool = True) -> pd.DataFrame:
        """The table of :meth:`proms_published`."""
        return self.proms_published(suppress=suppress).table

    def delivery_findings(self) -> str:
        """What the check of the published delivery overview found, as a sentence."""
        from cscs_eval import progress

        if self.delivery is None:
            return ""
        shares = progress.check_shares(self.delivery).table
        if shares.empty:
            return "Checked against its counts, the published table is consistent."
        return ("Checked against its counts, the published table has "
                + f"{'this difference' if len(shares) == 1 else 'these differences'}: "
                + "; ".join(_finding_text(r) for r in shares.to_dict("records")) + ".")

    def programme_findings(self) -> str:
        findings = self.programme.findings
        if findings.empty:
            return "The published figures add up."
        return (f"The checks found {count(len(findings), 'point', words=True)} where the published figures do not "
                "add up: " + "; ".join(_finding_text(r) for r in findings.to_dict("records")) + ".")

    def logic_model_figures(self) -> list:
        """The logic model as figures for landscape pages, each with its caption (see
        :func:`cscs_eval.logic_model.draw_pages`: split when one page cannot hold it legibly)."""
        from cscs_eval.logic_model._draw import draw_pages, link_label

        pages = draw_pages(self.model)
        out = []
        for k, (fig, numbers) in enumerate(pages, 1):
            part = (f" (part {k} of {len(pages)}: links {link_label(numbers).replace(',', ', ')})"
                    if len(pages) > 1 else "")
            out.append((fig, f"The Implementation Research Logic Model{part}: each numbered link runs from a "
                             "determinant through a strategy and its mechanism to the outcomes it serves; dashed "
                             "boxes are barriers, solid boxes facilitators."))
        return out


_ORDER_WORDS = {"strength": "the strength of their rating", "cases": "covering the most cases",
                "length": "brevity"}


def _article(text: str) -> str:
    return "an" if str(text)[:1].lower() in "aeiou" else "a"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _subtitle(title: str) -> str:
    """"Lightning Report 1: starting out" -> "starting out"."""
    return str(title).split(":", 1)[1].strip() if ":" in str(title) else str(title)


def _same_construct(written: str, construct_id: str) -> bool:
    """A logic model determinant's construct (an id or a name) is the construct ``construct_id`` or a part of it."""
    from cscs_eval.cfir import resolve_construct

    try:
        cid = resolve_construct(written)
    except InputError:  # a name the codebook does not know cannot match
        return False
    return cid == construct_id or cid.startswith(construct_id + ".") or construct_id.startswith(cid + ".")


def _finding_text(row: dict) -> str:
    """A check's finding in plain words, with the column's label rather than its name."""
    from cscs_eval.reporting.labels import label

    message = str(row.get("message", ""))
    column = str(row.get("column") or "")
    if column and message.startswith(column + " reported "):
        where = f"for '{row['workstream']}', " if row.get("workstream") else ""
        message = where + f"{label(column)} is published as " + message[len(column) + len(" reported "):]
        message = message.replace(" but ", ", but ", 1)
    return message


def read_memos(path, *, aliases=None) -> dict:
    """The evaluator's narrative per construct, from a Markdown memo file.

    Each ``## Construct`` heading (a CFIR 2.0 id, name, CFIR 1.0 name or alias) starts the memo
    for that construct; the paragraphs under it, up to the next heading, are its narrative.

    Returns
    -------
    dict
        construct id -> narrative (Markdown paragraphs).

    Raises
    ------
    InputError
        A heading that names no CFIR construct (with the file and line), or a file without headings.
    """
    from cscs_eval.cfir import resolve_construct

    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError("memo file not found", file=path) from None
    except UnicodeDecodeError:
        raise InputError("memo file is not UTF-8 text", file=path) from None
    memos, current, body = {}, None, []
    for number, line in enumerate(lines + ["## "], 1):
        if line.startswith("## "):
            if current is not None:
                memos[current] = re.sub(r"\n{3,}", "\n\n", "\n".join(body).strip())
            heading = line[3:].strip()
            if not heading:
                continue
            try:
                current = resolve_construct(heading, aliases=aliases)
            except InputError as exc:
                raise InputError(f"the heading '{heading}' names no CFIR construct ({exc.message})", file=path,
                                 row=number) from None
            body = []
        elif current is not None:
            body.append(line)
    if not memos:
        raise InputError("no '## Construct' headings: each memo starts with a heading naming its construct",
                         file=path)
    return {k: v for k, v in memos.items() if v}


def assemble(*, coding_paths=(), lightning_path="", data_path="", teams_path="", register_path="",
             logic_model_path="", aliases_path=None, case_ratings_path=None, themes_path=None, referrals_path=None,
             delivery_path=None, groups_path=None, memos_path=None, quotes_per_construct: int = 2,
             quote_order=QUOTE_ORDERS, quote_max_words: int = 45, findings_per_kind: int = 4, sheet=None,
             header_row=None) -> Evaluation:
    """Read every input of the evaluation and compute the tables its report shows.

    Paths may be relative to the project (``data/sample/...``); empty strings (and an empty list
    of coding paths) mean "not given", and the report leaves that section out. PROMs rows that
    fail validation are excluded and counted (``Evaluation.outcomes.exclusions``).
    ``quotes_per_construct``, ``quote_order`` and ``quote_max_words`` set the :class:`QuoteRule`
    that chooses the findings' quotes; ``findings_per_kind`` how many of the strongest
    facilitators and barriers are written up. ``sheet`` and ``header_row`` say where the PROMs
    extract's table is in an Excel workbook (:func:`cscs_eval.io.read_table`).
    """
    from cscs_eval import cfir, lightning, logic_model, progress, proms
    from cscs_eval.io import read_table, resolve_path, table_path

    def given(path):
        return resolve_path(path) if path else None

    rule = QuoteRule(per_construct=quotes_per_construct, order=tuple(quote_order), max_words=quote_max_words)
    if not isinstance(findings_per_kind, int) or findings_per_kind < 1:
        raise UsageError(f"findings_per_kind must be a whole number of at least 1, got {findings_per_kind!r}")
    if isinstance(coding_paths, str):
        coding_paths = [coding_paths] if coding_paths else []
    ev = Evaluation(quote_rule=rule, findings_per_kind=findings_per_kind)
    sources = {}
    if coding_paths:
        ev.coding = cfir.load_coding([resolve_path(p) for p in coding_paths], aliases=given(aliases_path),
                                     case_ratings=given(case_ratings_path))
        ev.cfir_summary = ev.coding.summary()
        ev.themes = cfir.themes_table(ev.coding, themes=given(themes_path))
        if groups_path:
            ev.distinguishing = cfir.distinguishing_constructs(ev.coding, groups=resolve_path(groups_path))
        if memos_path:
            ev.memos = read_memos(resolve_path(memos_path), aliases=given(aliases_path))
        sources["cfir"] = "CFIR coding of the evaluation's interview notes"
    if lightning_path:
        folder = resolve_path(lightning_path)
        ev.lightning_timeline = lightning.timeline(folder)
        ev.lightning_reports = lightning.read_reports(folder)
        ev.lightning_series = lightning.series(ev.lightning_reports)
        sources["lightning"] = "Lightning Reports of the evaluation"
    if teams_path:
        teams = read_table(resolve_path(teams_path), required=["team"])
        ev.implementation = logic_model.implementation_outcomes(teams, file=resolve_path(teams_path))
    if data_path:
        ev.outcomes = proms.outcomes(table_path(resolve_path(data_path), sheet=sheet, header_row=header_row),
                                     referrals=given(referrals_path), drop_invalid=True)
        ev.proms_summary = proms.summarise(ev.outcomes, by=None)
    if register_path:
        ev.programme = progress.summarise(resolve_path(register_path))
    if logic_model_path:
        ev.model = logic_model.read_logic_model(resolve_path(logic_model_path))
    if delivery_path:
        ev.delivery = read_table(given(delivery_path), dtype=None)
    sources |= {name: Path(str(value)).name for name, value in (
        ("teams", teams_path), ("proms", data_path), ("register", register_path),
        ("logic_model", logic_model_path), ("delivery", delivery_path)) if value}
    ev.sources = sources
    return ev
