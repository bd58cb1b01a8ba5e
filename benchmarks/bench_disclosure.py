"""Benchmark disclosure control: protect and audit a 32-team table with 3 shares and a 6-group breakdown.

The table is the PROMs outcomes by team (eligible, paired, paired %, and improved / no change /
deteriorated as shares of paired, with an "All teams" row) beside a table of 6 equality groups that
breaks the "All teams" row down. Synthetic counts, fixed seeds.

Figures (medians over repeats, in the same process):
- baseline: primary suppression alone (the old rule: * for 1-4, rounding, rates from exact counts);
- protect_tables(): primary and secondary suppression, rates from the published counts;
- audit() of the protected tables (what `cscs-eval audit` and a report run would add);
- audit() of the baseline tables: what the primary rule alone gives away (the leaks it finds).

Run: ``python benchmarks/bench_disclosure.py`` (5 seeds x 3 repeats) or ``--quick`` (2 seeds, 1 repeat).
Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

CATS = ("improved", "no_change", "deteriorated")


def make_tables(seed: int, n_teams: int = 32, n_groups: int = 6):
    """Team table (with its "All teams" row) and a group table breaking that row down, as true counts."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_teams):
        eligible = int(rng.integers(0, 120))
        paired = int(rng.binomial(eligible, 0.3))
        cats = rng.multinomial(paired, rng.dirichlet([2, 5, 1]))
        rows.append(dict(team=f"Team {k:02d}", eligible=eligible, paired=paired, **dict(zip(CATS, map(int, cats)))))
    teams = pd.DataFrame(rows)
    total = teams.drop(columns="team").sum()
    teams = pd.concat([teams, pd.DataFrame([dict(team="All teams", **total.to_dict())])], ignore_index=True)
    # the same referrals by group: each referral gets a group; paired ones keep their outcome
    people = []
    for col, n in (("unpaired", int(total["eligible"] - total["paired"])), *((c, int(total[c])) for c in CATS)):
        people += [col] * n
    groups = rng.choice(n_groups, size=len(people), p=rng.dirichlet(np.ones(n_groups)))
    frame = pd.DataFrame({"group": [f"Group {g}" for g in groups], "kind": people})
    by = frame.pivot_table(index="group", columns="kind", aggfunc="size", fill_value=0)
    by = by.reindex(columns=["unpaired", *CATS], fill_value=0)
    out = pd.DataFrame({"group": by.index, "paired": by[list(CATS)].sum(axis=1).to_numpy(),
                        **{c: by[c].to_numpy() for c in CATS}})
    out.insert(1, "eligible", out["paired"] + by["unpaired"].to_numpy())
    return teams, out.reset_index(drop=True)


def structures():
    from cscs_eval.governance import Breakdown, GroupTotal, Parts, Rate, TableStructure

    rates = (Rate("paired_pct", "paired", "eligible"), *(Rate(f"{c}_pct", c, "paired") for c in CATS))
    team = TableStructure("proms_by_team", key=("team",), counts=("eligible", "paired", *CATS), latent=CATS,
                          rates=rates, parts=(Parts("paired", CATS),), group_total=GroupTotal("team", "All teams"))
    group = TableStructure("proms_by_group", key=("group",), counts=("eligible", "paired", *CATS), latent=CATS,
                           rates=rates, parts=(Parts("paired", CATS),),
                           breakdowns=(Breakdown("proms_by_team", row={"team": "All teams"},
                                                 counts=("eligible", "paired", *CATS)),))
    return team, group


def with_exact_rates(df, structure):
    out = df.copy()
    for r in structure.rates:
        out[r.column] = 100 * out[r.numerator] / out[r.denominator].where(out[r.denominator] > 0)
    return out


def timed(fn, repeat):
    best, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best.append(time.perf_counter() - start)
    return statistics.median(best), result


def main(argv=None) -> None:
    from cscs_eval.governance import audit, primary_suppression, protect_tables

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 1 repeat")
    args = parser.parse_args(argv)
    seeds = range(1, 3) if args.quick else range(1, 6)
    repeat = 1 if args.quick else 3
    team_s, group_s = structures()
    # warm up imports and the solver once
    t, g = make_tables(0)
    audit(protect_tables([(t, team_s), (g, group_s)]))
    rows = []
    for seed in seeds:
        teams, groups = make_tables(seed)
        base_t, base = timed(lambda t=teams, g=groups: [primary_suppression(with_exact_rates(t, team_s), team_s),
                                                        primary_suppression(with_exact_rates(g, group_s), group_s)],
                             repeat)
        prot_t, prot = timed(lambda t=teams, g=groups: protect_tables([(t, team_s), (g, group_s)]), repeat)
        aud_t, leaks = timed(lambda p=prot: audit(p), repeat)
        atk_t, attack = timed(lambda b=base: audit(b), 1)
        hidden = sum(int((p.reasons == "secondary").to_numpy().sum()) for p in prot)
        small = sum(int((p.reasons == "small").to_numpy().sum()) for p in prot)
        cells = sum(p.table.shape[0] * (p.table.shape[1] - 1) for p in prot)
        rows.append(dict(seed=seed, baseline_ms=1000 * base_t, protect_ms=1000 * prot_t, audit_ms=1000 * aud_t,
                         leaks_after=len(leaks), attack_ms=1000 * atk_t, leaks_primary=len(attack),
                         small=small, secondary=hidden, cells=cells))
    df = pd.DataFrame(rows)
    print("32 teams x (eligible, paired, paired %, 3 shares) + All teams row, beside 6 groups breaking it down")
    with pd.option_context("display.width", 160, "display.float_format", "{:.1f}".format):
        print(df.to_string(index=False))
    med = df.median(numeric_only=True)
    print(f"medians: baseline (primary suppression alone) {med.baseline_ms:.1f} ms; protect {med.protect_ms:.0f} ms "
          f"({med.protect_ms / med.baseline_ms:.0f}x the baseline); audit of the protected tables "
          f"{med.audit_ms:.0f} ms; protect + audit {med.protect_ms + med.audit_ms:.0f} ms.")
    print(f"primary suppression alone leaks {med.leaks_primary:.0f} cells (audit {med.attack_ms:.0f} ms); after "
          f"protect: {int(df.leaks_after.max())} leaks, with {med.small:.0f} small and {med.secondary:.0f} secondary "
          f"suppressions of {med.cells:.0f} published cells (medians).")


if __name__ == "__main__":
    main()
