"""Synthetic teams, patients, referrals and PROMs (ReQoL-10, DIALOG, GBO) for the sample evaluation.

Modelled on the board report's PROMs delivery overview (32 community teams, most engaged,
about a third trained) and on what real extracts look like: collection that depends on
how far a team has implemented PROMs, follow-ups missing at unequal rates (worse in more
deprived groups), true change that differs by team, and a few defects per thousand rows
(out-of-range and non-numeric responses, duplicate assessments, UK-format dates, a DIALOG
value of 8, a patient with conflicting demographics), so every report has something to
exclude and explain.

ReQoL-10 responses are written as ticked on the form (0-4). Items 1, 3, 6 and 9 are taken
as the negatively worded ones (proms-anchors.md section 1.3: remembered form order), so
their score is reversed when the total is computed.
"""

from __future__ import annotations

from pathlib import Path

#: Fictional places: the sample must not look like any real trust's teams.
PLACES = [
    "Abbeydale", "Birchfield", "Brookmoor", "Castleton", "Dalesworth", "Eastbridge", "Elmhurst", "Fernside",
    "Foxwood", "Greenhill", "Hallamgate", "Hazelbank", "Highcross", "Ivydene", "Kingsmead", "Larkfield",
    "Lowfield", "Marshgate", "Millhouses", "Northcliffe", "Oakbrook", "Parkside", "Queensway", "Ridgeway",
    "Riverside", "Southmoor", "Stonegate", "Thornbury", "Upperthorpe", "Westbourne", "Willowdale", "Yewtree",
]
TEAMS = [f"{place} CMHT" for place in PLACES]
N_PATIENTS = 3000
START = "2022-04-01"
EXTRACT_END = "2024-10-31"
REQOL_REVERSED = (1, 3, 6, 9)

ETHNICITY = {"White British": 0.72, "White other": 0.05, "Asian or Asian British": 0.09,
             "Black or Black British": 0.05, "Mixed": 0.04, "Other ethnic group": 0.02, "Not stated": 0.03}
AGE_BANDS = {"18-25": 0.16, "26-35": 0.22, "36-45": 0.2, "46-55": 0.18, "56-65": 0.14, "66+": 0.10}
GENDER = {"Female": 0.53, "Male": 0.45, "Non-binary": 0.01, "Not stated": 0.01}


def _choice(rng, mapping, n):
    keys = list(mapping)
    p = [mapping[k] for k in keys]
    return rng.choice(keys, size=n, p=[x / sum(p) for x in p])


def _teams(rng):
    import pandas as pd

    start = pd.Timestamp("2023-01-09")
    # Stage reached, matching the board report's overview: 3 not approached, 6 planning,
    # 11 mapped but not trained, 12 mapped and trained.
    stages = ["not approached"] * 3 + ["planning"] * 6 + ["mapped"] * 11 + ["trained"] * 12
    stages = list(rng.permutation(stages))
    rows = []
    for team, stage in zip(TEAMS, stages):
        approached = engaged = mapped = trained = pd.NaT
        if stage != "not approached":
            approached = start + pd.Timedelta(days=int(rng.integers(0, 420)))
            engaged = approached + pd.Timedelta(days=int(rng.integers(7, 60)))
        if stage in ("mapped", "trained"):
            mapped = engaged + pd.Timedelta(days=int(rng.integers(30, 150)))
        if stage == "trained":
            trained = mapped + pd.Timedelta(days=int(rng.integers(14, 90)))
        rows.append(dict(team=team, eligible="yes", approached_date=approached, engaged_date=engaged,
                         pathway_mapped_date=mapped, trained_date=trained, stage=stage))
    return pd.DataFrame(rows)


def _assessment_dates(rng, referral_date, n):
    import numpy as np
    import pandas as pd

    baseline = referral_date + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    gap1 = pd.to_timedelta(rng.integers(90, 300, n), unit="D")
    gap2 = pd.to_timedelta(rng.integers(90, 220, n), unit="D")
    return baseline, baseline + gap1, baseline + gap1 + gap2, np.ones(n, dtype=bool)


def build(seed: int):
    """Return the sample tables as DataFrames: teams, demographics, referrals, proms."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    teams = _teams(rng)
    end = pd.Timestamp(EXTRACT_END)
    n = N_PATIENTS

    demographics = pd.DataFrame({
        "patient_id": [f"P{i:06d}" for i in range(1, n + 1)],
        "ethnicity": _choice(rng, ETHNICITY, n),
        # Community mental-health caseloads lean towards the more deprived deciles.
        "imd_decile": rng.choice(np.arange(1, 11), size=n, p=np.linspace(0.16, 0.05, 10) / np.linspace(0.16, 0.05, 10).sum()),
        "age_band": _choice(rng, AGE_BANDS, n),
        "gender": _choice(rng, GENDER, n),
    })

    # Referrals: one per patient, a second for about one in ten.
    second = rng.random(n) < 0.1
    patient_of = np.concatenate([np.arange(n), np.flatnonzero(second)])
    m = len(patient_of)
    team_idx = rng.integers(0, len(TEAMS), m)
    span = (pd.Timestamp("2024-06-30") - pd.Timestamp(START)).days
    referral_date = pd.Timestamp(START) + pd.to_timedelta(rng.integers(0, span, m), unit="D")
    length = pd.to_timedelta(rng.integers(60, 900, m), unit="D")
    discharge = referral_date + length
    referrals = pd.DataFrame({
        "referral_id": [f"R{i:07d}" for i in range(1, m + 1)],
        "patient_id": demographics["patient_id"].to_numpy()[patient_of],
        "team": np.array(TEAMS)[team_idx],
        "referral_date": referral_date,
        "discharge_date": discharge.where(discharge <= end, pd.NaT),
        "n_contacts": rng.poisson(9, m) + rng.integers(0, 3, m),
    }).sort_values(["referral_date", "referral_id"]).reset_index(drop=True)
    patient_of = pd.Index(demographics["patient_id"]).get_indexer(referrals["patient_id"])
    team_idx = pd.Index(TEAMS).get_indexer(referrals["team"])

    # How likely a team is to collect PROMs, by implementation stage.
    stage = teams.set_index("team").loc[referrals["team"], "stage"].to_numpy()
    p_baseline = pd.Series(stage).map({"trained": 0.85, "mapped": 0.6, "planning": 0.3, "not approached": 0.08})
    has_baseline = rng.random(m) < p_baseline.to_numpy()

    # Follow-up: team effect and deprivation gradient on the logit scale (paired rates ~20-60%).
    team_logit = rng.normal(0.0, 0.3, len(TEAMS))
    imd = demographics["imd_decile"].to_numpy()[patient_of]
    logit = -0.35 + team_logit[team_idx] + 0.11 * (imd - 5.5)
    has_follow = has_baseline & (rng.random(m) < 1 / (1 + np.exp(-logit)))
    has_second = has_follow & (rng.random(m) < 0.3)

    base_date, fu1, fu2, _ = _assessment_dates(rng, referrals["referral_date"], m)
    has_follow &= (fu1 <= end).to_numpy()
    has_second &= (fu2 <= end).to_numpy() & has_follow

    team_change = rng.normal(4.0, 2.0, len(TEAMS))
    quality0 = np.clip(rng.normal(19, 7, m), 0, 40)
    change = team_change[team_idx] + rng.normal(0, 6, m)
    # A referral uses DIALOG and GBO at every visit or not at all.
    uses_dialog = rng.random(m) < 0.6
    uses_gbo = rng.random(m) < 0.5
    frames = []
    for visit, mask, dates, delta in (
        (0, has_baseline, base_date, 0.0),
        (1, has_follow, fu1, 0.7),
        (2, has_second, fu2, 1.0),
    ):
        idx = np.flatnonzero(mask)
        quality = np.clip(quality0[idx] + delta * change[idx], 0, 40)
        frames += _reqol_rows(rng, referrals.iloc[idx], patient_of[idx], demographics, dates.iloc[idx], quality)
        use_dialog = uses_dialog[idx]
        frames += _dialog_rows(rng, referrals.iloc[idx[use_dialog]], dates.iloc[idx[use_dialog]],
                               quality[use_dialog])
        use_gbo = uses_gbo[idx]
        frames += _gbo_rows(rng, referrals.iloc[idx[use_gbo]], dates.iloc[idx[use_gbo]], visit,
                            change[idx[use_gbo]])
    proms = pd.concat(frames, ignore_index=True)
    proms = proms.sort_values(["assessment_date", "referral_id", "measure", "item"], kind="stable")
    proms = proms.reset_index(drop=True)
    proms, demographics = _add_defects(rng, proms, demographics)
    return teams.drop(columns="stage"), demographics, referrals, proms


def _frame(referrals, dates, measure, items, responses):
    import numpy as np
    import pandas as pd

    k = len(items)
    return pd.DataFrame({
        "patient_id": np.repeat(referrals["patient_id"].to_numpy(), k),
        "referral_id": np.repeat(referrals["referral_id"].to_numpy(), k),
        "team": np.repeat(referrals["team"].to_numpy(), k),
        "measure": measure,
        "assessment_date": np.repeat(pd.to_datetime(dates).dt.strftime("%Y-%m-%d").to_numpy(), k),
        "item": np.tile(items, len(referrals)),
        "response": responses.reshape(-1).astype(int).astype(str),
    })


def _reqol_rows(rng, referrals, _patients, _demographics, dates, quality):
    import numpy as np

    items = np.arange(1, 11)
    good = np.clip(np.rint(quality[:, None] / 10 + rng.normal(0, 0.7, (len(quality), 10))), 0, 4)
    reversed_mask = np.isin(items, REQOL_REVERSED)
    ticked = np.where(reversed_mask[None, :], 4 - good, good)
    return [_frame(referrals, dates, "reqol10", items, ticked)] if len(referrals) else []


def _dialog_rows(rng, referrals, dates, quality):
    import numpy as np

    items = np.arange(1, 12)
    level = 2.5 + quality[:, None] / 40 * 4
    values = np.clip(np.rint(level + rng.normal(0, 0.9, (len(quality), 11))), 1, 7)
    return [_frame(referrals, dates, "dialog", items, values)] if len(referrals) else []


def _gbo_rows(rng, referrals, dates, visit, change):
    import numpy as np

    if not len(referrals):
        return []
    items = np.arange(1, 4)
    start = rng.integers(1, 5, (len(referrals), 3))
    progress = np.clip(change[:, None] / 2 + rng.normal(0, 2, (len(referrals), 3)), -2, 8) if visit else 0
    values = np.clip(np.rint(start + (progress * (0.7 if visit == 1 else 1.0) if visit else 0)), 0, 10)
    frame = _frame(referrals, dates, "gbo", items, values)
    # Not everyone sets three goals: drop goal 3 for about a third, by referral.
    one_in_three = frame["referral_id"].str[1:].astype(int) % 3 == 0
    return [frame[~((frame["item"] == 3) & one_in_three)]]


def _add_defects(rng, proms, demographics):
    """A few defects per thousand rows, each of a kind real extracts carry."""
    import pandas as pd

    proms = proms.copy()
    n = len(proms)
    picks = rng.choice(n, size=max(6, n // 1000), replace=False)
    reqol = proms.index[proms["measure"] == "reqol10"]
    dialog = proms.index[proms["measure"] == "dialog"]
    out_of_range = rng.choice(reqol, size=max(3, n // 2500), replace=False)
    proms.loc[out_of_range, "response"] = rng.choice(["5", "9", "-1", "44"], size=len(out_of_range))
    non_numeric = rng.choice(reqol.difference(out_of_range), size=max(3, n // 4000), replace=False)
    proms.loc[non_numeric, "response"] = rng.choice(["n/a", "three", "2.5", "?"], size=len(non_numeric))
    dialog_items = dialog[proms.loc[dialog, "item"].to_numpy() <= 8]
    eights = rng.choice(dialog_items, size=max(3, n // 3000), replace=False)
    proms.loc[eights, "response"] = "8"
    # UK day-first dates on whole assessments, as one team's export writes them.
    keys = proms[["referral_id", "measure", "assessment_date"]].drop_duplicates()
    uk = keys.sample(n=max(5, len(keys) // 300), random_state=int(rng.integers(1 << 31)))
    uk_rows = proms.merge(uk.assign(_uk=True), how="left", on=list(uk.columns))["_uk"].fillna(False).to_numpy(bool)
    proms.loc[uk_rows, "assessment_date"] = pd.to_datetime(proms.loc[uk_rows, "assessment_date"]).dt.strftime("%d/%m/%Y")
    # Whole assessments entered twice.
    dup_keys = keys.sample(n=max(3, len(keys) // 500), random_state=int(rng.integers(1 << 31)))
    dup = proms.merge(dup_keys, on=list(dup_keys.columns))
    proms = pd.concat([proms, dup], ignore_index=True)
    del picks
    # One patient recorded with two different ethnicities.
    conflict = demographics.iloc[[7]].assign(ethnicity="Mixed" if demographics.iloc[7]["ethnicity"] != "Mixed"
                                             else "White British")
    demographics = pd.concat([demographics, conflict], ignore_index=True)
    return proms, demographics


def write(out_dir, seed: int) -> list[Path]:
    from cscs_eval.io import write_table

    out_dir = Path(out_dir)
    teams, demographics, referrals, proms = build(seed)
    paths = []
    for name, frame in (("teams.csv", teams), ("demographics.csv", demographics),
                        ("referrals.csv", referrals), ("proms.csv", proms)):
        frame = frame.copy()
        for col in frame.columns:
            if col.endswith("_date") and frame[col].dtype.kind == "M":
                frame[col] = frame[col].dt.strftime("%Y-%m-%d")
        paths.append(write_table(frame, out_dir / name))
    return paths
