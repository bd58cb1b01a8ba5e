"""Summaries of paired change by team and by group, with NHS England's rates and effect size."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cscs_eval.errors import UsageError
from cscs_eval.governance import SMALL_MAX, SUPPRESSED, count_text, is_small
from cscs_eval.proms._results import OutcomesResult
from cscs_eval.proms._stats import paired_statistics, rate_columns
from cscs_eval.stats import format_number, round_half_up

ALL_UNITS = "all units"
COUNT_COLUMNS = ["n_referrals", "n_eligible", "n_paired", "n_improved", "n_no_change", "n_deteriorated",
                 "n_clinical_baseline", "n_reliable_recovery"]
#: rate column -> (numerator, denominator) count columns, for suppression.
RATE_COLUMNS = {
    "paired_rate": ("n_paired", "_paired_den"),
    "improved_rate": ("n_improved", "n_paired"),
    "no_change_rate": ("n_no_change", "n_paired"),
    "deteriorated_rate": ("n_deteriorated", "n_paired"),
    "reliable_recovery_rate": ("n_reliable_recovery", "n_clinical_baseline"),
}
STAT_COLUMNS = ["mean_baseline", "mean_follow_up", "mean_change", "sd_baseline", "sd_change", "effect_size", "d_z",
                "t_statistic", "t_p_value", "wilcoxon_statistic", "wilcoxon_p_value"]


def _unit_key(unit):
    """``all units`` first, then ``item 2`` before ``item 10``."""
    if unit == ALL_UNITS:
        return (0, "", 0)
    m = re.match(r"^(.*?)(\d+)$", str(unit))
    return (1, m.group(1), int(m.group(2))) if m else (1, str(unit), -1)


def _group_key(value):
    """Numbers (as text or not) in numeric order, then text, then ``not known``."""
    text = str(value)
    if text == "not known":
        return (2, 0.0, "")
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text.lower())


def _by_list(by):
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def summarise(outcomes, *, by="team", referrals=None, all_units: bool = True,
              effect_size_sd: str = "paired") -> pd.DataFrame:
    """Counts, rates with 95% Wilson intervals, means, effect sizes and paired tests per group.

    Parameters
    ----------
    outcomes
        What :func:`~cscs_eval.proms.outcomes` returns (or its table).
    by
        Grouping column(s): ``"team"`` (default), a demographic column such as ``"ethnicity"``,
        a list, or ``None`` for one overall row per measure and unit.
    referrals
        The eligibility table (by default the ``.referrals`` of the outcomes given). With it
        the cohort is NHS England's eligible referrals and ``paired_rate`` = paired eligible
        referrals / eligible referrals; without it the denominator is referrals with a baseline.
    effect_size_sd
        Whose baseline SD divides the mean change in NHS England's effect size: ``"paired"``
        (default: the paired referrals', the same people as the mean change) or ``"all"`` (every
        referral with a baseline in the group; the dashboard's ``SD_Control`` is the SD of the
        baseline scores, and whether it is limited to paired referrals could not be confirmed).
    all_units
        Add an ``all units`` row for measures with several units of change (DIALOG items, GBO
        goals): a referral counts as paired if any unit is paired (the dashboard's "All" row).

    Returns
    -------
    pandas.DataFrame
        One row per group, measure and unit with ``n_referrals, n_eligible, n_paired,
        paired_rate(_low, _high), n_improved, improved_rate(_low, _high), n_no_change,
        no_change_rate(...), n_deteriorated, deteriorated_rate(...), n_clinical_baseline,
        n_reliable_recovery, reliable_recovery_rate(...), mean_baseline, mean_follow_up,
        mean_change, sd_baseline, sd_change, effect_size, d_z, t_statistic, t_p_value,
        wilcoxon_statistic, wilcoxon_p_value``. Improvement, no-change and deterioration rates
        are over paired referrals; the recovery rate over paired referrals clinical at baseline.
    """
    if effect_size_sd not in ("paired", "all"):
        raise UsageError(f"effect_size_sd must be 'paired' or 'all', got {effect_size_sd!r}")
    if isinstance(outcomes, OutcomesResult):
        referrals = outcomes.referrals if referrals is None else referrals
        outcomes = outcomes.table
    by = _by_list(by)
    missing = [c for c in by if c not in outcomes.columns]
    if missing:
        raise UsageError(f"by must name columns of the outcomes table ({', '.join(outcomes.columns)}), "
                         f"got {', '.join(missing)}")
    df = outcomes
    if "eligible" in df.columns and referrals is not None:
        df = df[df["eligible"].fillna(False).astype(bool)]
    df = df.assign(_ref=df["referral_id"].astype(object).where(df["referral_id"].notna(), df["patient_id"]))
    for c in by:
        df[c] = df[c].astype(object).where(df[c].notna(), "not known")
    keys = by + ["measure", "unit"]
    rows = []
    for key, g in df.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        p = g[g["paired"].astype(bool)]
        rec = dict(zip(keys, key))
        rec.update(
            n_referrals=g["_ref"].nunique(), n_paired=len(p),
            n_improved=int((p["category"] == "reliable improvement").sum()),
            n_no_change=int((p["category"] == "no reliable change").sum()),
            n_deteriorated=int((p["category"] == "reliable deterioration").sum()),
            n_clinical_baseline=int(p["clinical_baseline"].fillna(False).astype(bool).sum()),
            n_reliable_recovery=int(p["reliable_recovery"].fillna(False).astype(bool).sum()),
        )
        st = paired_statistics(p["baseline"], p["follow_up"])
        st.pop("n")
        if effect_size_sd == "all":
            sd_all = g["baseline"].astype(float).std(ddof=1)
            st["sd_baseline"] = sd_all
            st["effect_size"] = st["mean_change"] / sd_all if sd_all > 0 else np.nan
        rec.update(st)
        rec["_has_cutoff"] = bool(p["clinical_baseline"].notna().any()) or bool(g["clinical_baseline"].notna().any())
        rec["_has_category"] = bool(p["category"].notna().any()) or len(p) == 0
        rows.append(rec)
    if all_units:
        multi = df.groupby("measure")["unit"].nunique()
        multi = multi[multi > 1].index
        sub = df[df["measure"].isin(multi)]
        for key, g in sub.groupby(by + ["measure"], sort=True, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            rec = dict(zip(by + ["measure"], key))
            rec.update(unit=ALL_UNITS, n_referrals=g["_ref"].nunique(),
                       n_paired=g.loc[g["paired"].astype(bool), "_ref"].nunique(), _has_cutoff=False,
                       _has_category=False)
            rows.append(rec)
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=keys + COUNT_COLUMNS)
    out["n_eligible"] = pd.NA
    if referrals is not None:
        ref = referrals[referrals["eligible"].astype(bool)]
        if all(c in ref.columns for c in by):
            ref = ref.assign(**{c: ref[c].astype(object).where(ref[c].notna(), "not known") for c in by})
            counts = ref.groupby(by).size().rename("n_eligible") if by else pd.Series({(): len(ref)})
            if by:
                # A group with eligible referrals but no baseline at all is the starkest gap: it is
                # kept, with nothing paired, rather than silently missing from the table.
                seen = set(map(tuple, out[by].astype(object).to_numpy()))
                absent = [k if isinstance(k, tuple) else (k,) for k in counts.index]
                absent = [k for k in absent if k not in seen]
                if absent:
                    combos = out[["measure", "unit", "_has_cutoff", "_has_category"]].drop_duplicates(["measure", "unit"])
                    extra = [{**dict(zip(by, k)), **c, "n_referrals": 0, "n_paired": 0, "n_improved": 0,
                              "n_no_change": 0, "n_deteriorated": 0, "n_clinical_baseline": 0,
                              "n_reliable_recovery": 0} for k in absent for c in combos.to_dict("records")]
                    out = pd.concat([out, pd.DataFrame(extra)], ignore_index=True)
                out = out.drop(columns="n_eligible").merge(counts.reset_index(), on=by, how="left")
                out["n_eligible"] = out["n_eligible"].fillna(0).astype("int64")
            else:
                out["n_eligible"] = len(ref)
    den = out["n_eligible"].astype("Float64").fillna(out["n_referrals"].astype("Float64"))
    out["_paired_den"] = den.astype(float)
    out = rate_columns(out, "paired_rate", "n_paired", "_paired_den")
    for name, (num, d) in list(RATE_COLUMNS.items())[1:]:
        out = rate_columns(out, name, num, d)
    # Categories and recovery mean nothing where the unit has no threshold or no cut-off.
    no_cut = ~out["_has_cutoff"].astype(bool)
    for c in ["n_clinical_baseline", "n_reliable_recovery", "reliable_recovery_rate", "reliable_recovery_rate_low",
              "reliable_recovery_rate_high"]:
        out[c] = out[c].astype("Float64").mask(no_cut)
    no_cat = ~out["_has_category"].astype(bool)
    for c in ["n_improved", "n_no_change", "n_deteriorated"]:
        out[c] = out[c].astype("Float64").mask(no_cat)
    for c in ("improved", "no_change", "deteriorated"):
        for suffix in ("", "_low", "_high"):
            out[f"{c}_rate{suffix}"] = out[f"{c}_rate{suffix}"].astype("Float64").mask(no_cat)
    for c in COUNT_COLUMNS:
        out[c] = out[c].astype("Float64").round().astype("Int64")
    rate_cols = []
    for name in RATE_COLUMNS:
        rate_cols += [name, f"{name}_low", f"{name}_high"]
    ordered = keys + ["n_referrals", "n_eligible", "n_paired", "paired_rate", "paired_rate_low", "paired_rate_high",
                      "n_improved", "improved_rate", "improved_rate_low", "improved_rate_high",
                      "n_no_change", "no_change_rate", "no_change_rate_low", "no_change_rate_high",
                      "n_deteriorated", "deteriorated_rate", "deteriorated_rate_low", "deteriorated_rate_high",
                      "n_clinical_baseline", "n_reliable_recovery", "reliable_recovery_rate",
                      "reliable_recovery_rate_low", "reliable_recovery_rate_high"] + STAT_COLUMNS
    for c in STAT_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    units = sorted(set(out["unit"]), key=_unit_key)
    # Groups in natural order: IMD decile 2 before 10, "not known" last.
    order = {c: {v: i for i, v in enumerate(sorted(set(out[c]), key=_group_key))} for c in by}
    out = out.assign(_u=out["unit"].map({u: i for i, u in enumerate(units)}),
                     **{f"_g{i}": out[c].map(order[c]) for i, c in enumerate(by)})
    out = out.sort_values([f"_g{i}" for i in range(len(by))] + ["measure", "_u"], kind="stable")
    return out[ordered].reset_index(drop=True)


CATEGORY_COLUMNS = ("n_improved", "n_no_change", "n_deteriorated")
#: The report's short names of the summary's counts, and its rate columns (percentages).
SHORT_COUNTS = {"n_eligible": "eligible", "n_referrals": "referrals", "n_paired": "paired", "n_improved": "improved",
                "n_no_change": "no_change", "n_deteriorated": "deteriorated",
                "n_clinical_baseline": "clinical_baseline", "n_reliable_recovery": "reliable_recovery"}
SHORT_RATES = {"paired_rate": "paired_pct", "improved_rate": "improved_pct", "no_change_rate": "no_change_pct",
               "deteriorated_rate": "deteriorated_pct", "reliable_recovery_rate": "recovery_pct"}


def _denominator(summary) -> str:
    """The paired rate's denominator: eligible referrals when the summary has them, else referrals with a baseline."""
    return "n_eligible" if "n_eligible" in summary.columns and summary["n_eligible"].notna().any() else "n_referrals"


def summary_structure(summary: pd.DataFrame, table_id: str, *, short: bool = False, keys=None, percent: bool = False,
                      group_total=None, breakdowns=()):
    """The :class:`~cscs_eval.governance.TableStructure` of a summary as it is published.

    ``short=False``: the summary's own columns (every count shown; rates as fractions with four
    decimals, or percentages with ``percent``); ``short=True``: :func:`report_table`'s columns, where
    the outcome categories and recovery counts are shown only as percentages of paired referrals.
    In both, improved + no change + deteriorated = paired.
    """
    from cscs_eval.governance import Parts, Rate, TableStructure

    den = _denominator(summary)
    counts = [c for c in COUNT_COLUMNS if c != "n_eligible" or den == "n_eligible"]
    rates = {"paired_rate": ("n_paired", den), "improved_rate": ("n_improved", "n_paired"),
             "no_change_rate": ("n_no_change", "n_paired"), "deteriorated_rate": ("n_deteriorated", "n_paired"),
             "reliable_recovery_rate": ("n_reliable_recovery", "n_clinical_baseline")}
    name = (lambda c: SHORT_COUNTS.get(c, SHORT_RATES.get(c, c))) if short else (lambda c: c)
    scale = "percent" if short or percent else "fraction"
    decimals = 1 if scale == "percent" else 4
    if keys is None:
        keys = [c for c in summary.columns if c not in COUNT_COLUMNS and c not in STAT_COLUMNS
                and not any(c.startswith(r) for r in RATE_COLUMNS) and not c.startswith("_")]
    latent = ([name(c) for c in (*CATEGORY_COLUMNS, "n_clinical_baseline", "n_reliable_recovery")]
              + (["referrals"] if den == "n_eligible" else [])) if short else []
    return TableStructure(
        table_id, key=tuple(keys), counts=tuple(name(c) for c in counts), latent=tuple(latent),
        rates=tuple(Rate(name(r), name(n), name(d), scale=scale, decimals=decimals) for r, (n, d) in rates.items()),
        parts=(Parts(name("n_paired"), tuple(name(c) for c in CATEGORY_COLUMNS)),),
        group_total=group_total, breakdowns=tuple(breakdowns))


def _withhold_statistics(out, protected, summary, *, paired="n_paired"):
    """Means, effect sizes and tests withheld where paired referrals are 1 to 4 or hidden (an SD that
    cannot be computed would tell that exactly one referral was paired)."""
    n_paired = summary["n_paired"].astype("Float64").fillna(0).to_numpy(dtype=float)
    hidden = is_small(n_paired).to_numpy() | protected.mask[paired].to_numpy(dtype=bool)
    for c in STAT_COLUMNS:
        if c in out.columns:
            out[c] = out[c].astype(object).where(~hidden, SUPPRESSED)
    return out


def protect_summaries(summaries, *, suppress: bool = True, short: bool = False, percent: bool = False):
    """Publish summaries together: ``summaries`` is a list of ``(summary, structure)`` (from
    :func:`summary_structure`); linked ones (a group table that breaks down a team's row) are protected
    as one (:func:`~cscs_eval.governance.protect_tables`), so nothing one hides the other gives back.

    Returns the :class:`~cscs_eval.governance.ProtectedTable` of each, in order: counts 0, ``*`` or
    rounded to 5, rates from the published counts (their Wilson intervals too), statistics withheld
    where paired referrals are hidden. With ``suppress=False`` the tables are unchanged and marked not
    for publication.
    """
    import dataclasses

    from cscs_eval.governance import protect_tables
    from cscs_eval.stats import wilson_interval

    inputs = []
    for summary, structure in summaries:
        df = summary.copy()
        if short:
            df = df.rename(columns={**SHORT_COUNTS, **SHORT_RATES})
        for c in [*COUNT_COLUMNS, *SHORT_COUNTS.values()]:  # a count the table does not publish (no eligible)
            if c in df.columns and c not in structure.counts:
                df[c] = None
        for c in structure.counts:
            df[c] = df[c].astype("Float64").round().astype(object).where(df[c].notna(), None)
            df[c] = [None if v is None else int(v) for v in df[c]]
        if not suppress and (short or percent):
            for r in structure.rates:
                df[r.column] = df[r.column].astype("Float64") * 100
        inputs.append((df, structure))
    out = []
    linked = any(st.breakdowns for _, st in inputs) or len(inputs) == 1
    protected = (protect_tables(inputs, suppress=suppress) if linked else
                 [q for pair in inputs for q in protect_tables([pair], suppress=suppress)])
    for (summary, structure), p in zip(summaries, protected):
        table = p.table
        if suppress:
            table = _withhold_statistics(table.copy(), p, summary, paired=structure.parts[0].total)
            if not short:  # intervals of the published rates, from the published counts
                for r in structure.rates:
                    k = pd.to_numeric(table[r.numerator], errors="coerce").to_numpy(dtype=float)
                    n = pd.to_numeric(table[r.denominator], errors="coerce").to_numpy(dtype=float)
                    lo, hi = wilson_interval(k, n)
                    rate = table[r.column]
                    shown = rate.map(lambda v: isinstance(v, (int, float)) and not pd.isna(v)).to_numpy(dtype=bool)
                    for side, values in (("_low", lo), ("_high", hi)):
                        if f"{r.column}{side}" in table.columns:
                            bound = pd.Series(np.round(r.multiplier * values, r.decimals), index=table.index)
                            table[f"{r.column}{side}"] = bound.astype(object).where(shown, rate.where(~shown, None))
        out.append(dataclasses.replace(p, table=table))
    return out


def publish_summary(summary: pd.DataFrame, *, suppress: bool = True, percent: bool = False,
                    table_id: str = "proms_summary"):
    """The summary ready to publish, as a :class:`~cscs_eval.governance.ProtectedTable` (its ``table``
    and the ``structure`` that :func:`cscs_eval.io.write_table` writes beside a file): every count 0,
    ``*`` or rounded to 5, further cells hidden where a hidden one could be worked out, rates (and their
    Wilson intervals) from the published counts, means, effect sizes and tests withheld where paired
    referrals are hidden (:func:`protect_summaries`). ``percent`` gives rates as percentages."""
    structure = summary_structure(summary, table_id, percent=percent)
    if summary.empty:
        from cscs_eval.governance import protect

        return protect(summary.copy(), structure.replace(key=(), parts=(), rates=(), counts=()), suppress=suppress)
    # Rows of different measures and units share no relation (no total row links them), so each
    # (measure, unit) part is protected on its own: the same result as one table, in far less time.
    parts = [(rows, structure.replace(table_id=f"{table_id}-{k}"))
             for k, (_, rows) in enumerate(summary.groupby(["measure", "unit"], sort=False))]
    done = protect_summaries(parts, suppress=suppress, percent=percent)
    table = pd.concat([p.table for p in done]).loc[summary.index]
    secondary = any(p.structure.secondary for p in done)
    return done[0].with_table(table, done[0].structure.replace(table_id=table_id, secondary=secondary))


def publishable(summary: pd.DataFrame, *, suppress: bool = True, percent: bool = False,
                table_id: str = "proms_summary") -> pd.DataFrame:
    """The table of :func:`publish_summary`: the summary ready to publish."""
    return publish_summary(summary, suppress=suppress, percent=percent, table_id=table_id).table


def report_published(summary: pd.DataFrame, *, suppress: bool = True, decimals_stats: int = 2,
                     table_id: str = "proms", protected=None):
    """:func:`report_table` as a :class:`~cscs_eval.governance.ProtectedTable`, with the structure of the
    columns it keeps. ``protected``: this summary's ProtectedTable when it was protected with others
    (:func:`protect_summaries` with ``short=True``)."""
    if summary.empty:
        return None
    df = summary.copy()
    for c in ("effect_size", "d_z"):
        df[c] = round_half_up(df[c].astype(float), decimals=decimals_stats)
    if protected is None:
        protected = protect_summaries([(df, summary_structure(df, table_id, short=True))], suppress=suppress,
                                      short=True)[0]
    pub = protected.table
    keys = list(protected.structure.key)
    den = "eligible" if "eligible" in protected.structure.counts else "referrals"
    cols = [*keys, den, "paired", "paired_pct", "improved_pct", "no_change_pct", "deteriorated_pct", "recovery_pct",
            "mean_baseline", "mean_follow_up", "mean_change", "effect_size"]
    out = pub[[c for c in cols if c in pub.columns]].copy()
    if "effect_size" in out.columns:  # two decimals for the effect size (reports round other numbers to one)
        out["effect_size"] = out["effect_size"].map(
            lambda v: v if isinstance(v, str) or v is None or pd.isna(v) else format_number(v, decimals=2))
    empty = [c for c in out.columns if out[c].isna().all() and c not in keys]
    # The "all units" rows count pairing only; categories belong to each item or goal.
    if set(summary["unit"]) == {ALL_UNITS}:
        empty += [c for c in ("improved_pct", "no_change_pct", "deteriorated_pct", "recovery_pct", "mean_baseline",
                              "mean_follow_up", "mean_change", "effect_size") if c in out.columns]
    # The measure is in the caption (or a column the caller adds); one unit throughout: a column
    # repeating it only takes width.
    empty += ["measure"] if "measure" in out.columns else []
    empty += ["unit"] if "unit" in out.columns and out["unit"].nunique() <= 1 else []
    out = out.drop(columns=list(dict.fromkeys(empty))).reset_index(drop=True)
    return protected.with_table(out, protected.structure.replace(key=tuple(k for k in keys if k in out.columns)))


def report_table(summary: pd.DataFrame, *, suppress: bool = True, decimals_stats: int = 2, table_id: str = "proms",
                 protected=None) -> pd.DataFrame:
    """A short, readable version of :func:`summarise` for reports: percentages instead of rates,
    the columns a reader needs, small numbers suppressed (:func:`protect_summaries`), empty columns dropped.

    Columns: the grouping column(s), ``unit`` (left out when there is only one), ``eligible`` or ``referrals`` (the paired-rate
    denominator), ``paired``, ``paired_pct``, ``improved_pct``, ``no_change_pct``,
    ``deteriorated_pct``, ``recovery_pct``, ``mean_baseline``, ``mean_follow_up``,
    ``mean_change``, ``effect_size``. :func:`report_published` gives it with its structure.
    """
    p = report_published(summary, suppress=suppress, decimals_stats=decimals_stats, table_id=table_id,
                         protected=protected)
    return pd.DataFrame() if p is None else p.table


def headline(summary: pd.DataFrame, *, measure, scope: str = "all teams", suppress: bool = True) -> str:
    """Sentences quoting the key numbers of an overall summary (``summarise(..., by=None)``).

    With ``suppress`` counts are published as NHS suppression shows them, and a percentage whose
    numerator or denominator is 1 to 4 is not quoted.

    Examples
    --------
    >>> s = pd.DataFrame({"unit": ["total"], "n_referrals": [40], "n_eligible": [pd.NA], "n_paired": [3],
    ...                   "paired_rate": [0.075], "paired_rate_low": [0.03], "paired_rate_high": [0.2]})
    >>> headline(s, measure="reqol10")
    'For ReQoL-10 in all teams, fewer than 5 of 40 referrals with a baseline score had a paired score (a baseline and a later follow-up). Too few referrals are paired to report change.'
    """
    from cscs_eval.proms._measures import load_measure

    m = load_measure(measure)
    if summary.empty:
        return f"For {m.name} in {scope} there were no assessments with a baseline score: nothing to report."
    units = set(summary["unit"])
    head_unit = "total" if "total" in units else ALL_UNITS
    head = summary[summary["unit"] == head_unit].iloc[0]
    change_unit = "total" if head_unit == "total" else m.unit_names()[0]
    rows = summary[summary["unit"] == change_unit]
    change = rows.iloc[0] if len(rows) else head

    def small(k):
        return suppress and is_small(int(k))

    def count(k):
        # In a sentence a suppressed count reads "fewer than 5", not "*".
        return count_text(int(k), suppress=suppress)

    def pct(k, n, rate):
        if small(k) or small(n) or pd.isna(rate):
            return None
        if suppress:  # from the published (rounded) counts: a rate from exact ones would undo the rounding
            from cscs_eval.governance import suppress_count

            rate = suppress_count(int(k)) / suppress_count(int(n))
        return format_number(rate, decimals=1, share=True)

    eligible = pd.notna(head.get("n_eligible", pd.NA))
    den = int(head["n_eligible"]) if eligible else int(head["n_referrals"])
    what = "eligible referrals" if eligible else "referrals with a baseline score"
    if small(den):
        return (f"For {m.name} in {scope} there were {count_text(den)} {what}: too few to report a paired rate or "
                "change.")
    text = (f"For {m.name} in {scope}, {count(head['n_paired'])} of {count(den)} {what} had a paired score "
            "(a baseline and a later follow-up)")
    rate = pct(head["n_paired"], den, head["paired_rate"])
    low, high = head["paired_rate_low"], head["paired_rate_high"]
    if rate and suppress:  # the interval of the published rate, from the published counts
        from cscs_eval.governance import suppress_count
        from cscs_eval.stats import wilson_interval

        low, high = (float(v) for v in wilson_interval(suppress_count(int(head["n_paired"])), suppress_count(den)))
    text += (f", a paired rate of {rate} (95% CI {format_number(low, decimals=1, share=True)} to "
             f"{format_number(high, decimals=1, share=True)})." if rate else ".")
    n_paired = int(change["n_paired"])
    if n_paired <= SMALL_MAX or "improved_rate" not in change or pd.isna(change.get("improved_rate")):
        return text + " Too few referrals are paired to report change."
    improved = pct(change["n_improved"], n_paired, change["improved_rate"])
    worse = pct(change["n_deteriorated"], n_paired, change["deteriorated_rate"])
    label = "" if change_unit == "total" else f" ({m.name} is classified per {m.item_label}; shown for {change_unit})"
    few = f"{count_text(1)} referrals"  # a withheld percentage reads as its count would
    text += (f" Of paired referrals{label}, {improved or few} improved reliably and "
             f"{worse or few} deteriorated reliably; the mean change was "
             f"{format_number(change['mean_change'], decimals=2, sign=True)} points (NHS England effect size "
             f"{format_number(change['effect_size'], decimals=2)}).")
    if pd.notna(change.get("reliable_recovery_rate")):
        rec = pct(change["n_reliable_recovery"], change["n_clinical_baseline"], change["reliable_recovery_rate"])
        if rec:
            text += f" Of those in the clinical range at baseline, {rec} reached reliable recovery."
    return text
