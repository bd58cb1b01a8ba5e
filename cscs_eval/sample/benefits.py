"""Synthetic benefit indicators and a benefits register (never real data).

``indicators.csv`` (``indicator, date, value``) holds four monthly series from April 2022
to September 2025 (42 months). ``paired_proms_pct`` has a real step change at the service
change of 1 October 2023 (PROMs built into the care-plan review), so the interrupted time
series and a rebased SPC chart have something to find; ``dna_rate_pct`` drifts down through
2025; the others only vary by chance (``waiting_weeks`` with a winter peak).
``register.csv`` (``benefit, indicator, baseline, target, current, owner, status``) names
those indicators; two rows leave ``current`` empty so the report fills it from the series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: The service change the sample is built around (also the notebook's default change date).
SERVICE_CHANGE = "2023-10-01"
START = "2022-04-01"
MONTHS = 42


def indicators(seed: int) -> pd.DataFrame:
    """The four monthly series, rounded as an extract would give them."""
    rng = np.random.default_rng(seed + 6)
    dates = pd.date_range(START, periods=MONTHS, freq="MS")
    t = np.arange(MONTHS)
    after = dates >= pd.Timestamp(SERVICE_CHANGE)
    since = np.where(after, t - int(np.argmax(after)), 0)
    series = {
        # step of +14 points at the change, then a gentle rise of 0.25 points a month
        "paired_proms_pct": 18 + 14 * after + 0.25 * since + rng.normal(0, 2.0, MONTHS),
        "reqol_mean_change": 3.4 + rng.normal(0, 0.7, MONTHS),
        # flat, then falling 0.2 points a month from January 2025
        "dna_rate_pct": 11.5 - 0.2 * np.clip(t - 33, 0, None) + rng.normal(0, 0.6, MONTHS),
        # a winter peak (December-February) of about a week
        "waiting_weeks": 6 + 0.9 * np.cos(2 * np.pi * (dates.month.to_numpy() - 1) / 12) + rng.normal(0, 0.5, MONTHS),
    }
    frames = [pd.DataFrame({"indicator": name, "date": dates.strftime("%Y-%m-%d"), "value": np.round(v, 1)})
              for name, v in series.items()]
    return pd.concat(frames, ignore_index=True)


def register() -> pd.DataFrame:
    """A small benefits register in the shape of the programme's Outcomes and Benefits workstream."""
    rows = [
        ("More people have their outcomes measured twice", "paired_proms_pct", 18, 40, "", "PROMs lead",
         "on track"),
        ("People report a better quality of life", "reqol_mean_change", 3, 5, 3.5, "Outcomes and Benefits lead",
         "on track"),
        ("Fewer missed first appointments", "dna_rate_pct", 11.5, 9, "", "Operations manager", "delayed"),
        ("Shorter waits for a first contact", "waiting_weeks", 6, 4, 5.8, "Access lead", "not started"),
    ]
    return pd.DataFrame(rows, columns=["benefit", "indicator", "baseline", "target", "current", "owner", "status"])


def write(out_dir, seed: int) -> list[Path]:
    """Write ``out_dir/benefits/indicators.csv`` and ``register.csv``; return their paths."""
    from cscs_eval.io import write_table

    folder = Path(out_dir) / "benefits"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [write_table(indicators(seed), folder / "indicators.csv"),
             write_table(register(), folder / "register.csv")]
    return [Path(p) for p in paths]


if __name__ == "__main__":  # pragma: no cover
    from cscs_eval.sample import SEED

    for p in write("data/sample", SEED):
        print(p)
