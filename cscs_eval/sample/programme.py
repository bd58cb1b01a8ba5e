"""Synthetic programme task register for the strategy's workstreams (fixed seed, no real data).

Task names are generic, written for cscs-eval; statuses are drawn per workstream so that the
workstreams differ the way they do in the board report (a new outcomes workstream mostly not
started, older ones mostly complete). Statuses are spelled the way people type them in a
spreadsheet ("On track", "not_started", "COMPLETE") because the reader must cope with that.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write", "WORKSTREAMS"]

#: Workstream -> (tasks, probabilities of complete, on track, delayed, not needed, not started).
WORKSTREAMS = {
    "Person centred": (
        ["Agree the principles of person-centred care", "Publish the person-centred care framework",
         "Replace CPA reviews with person-centred reviews", "Pilot the person-centred feedback tool",
         "Train team leads in the framework", "Add person-centred questions to the care plan",
         "Set up a community of practice", "Share service-user stories on the intranet",
         "Review the framework with service users", "Write the embedding guide for teams",
         "Report feedback-tool results to the programme board", "Close the workstream into business as usual"],
        (0.60, 0.20, 0.05, 0.15, 0.00)),
    "Strengths based": (
        ["Define strengths-based practice for the trust", "Write the one-page strengths profile",
         "Test the one-page profile with two teams", "Add strengths content to PROMs training",
         "Recruit staff to the steering group", "Publish articles and staff stories",
         "Record a short video on strengths-based conversations", "Link the one-page profile to the record",
         "Map strengths-based training already on offer", "Agree measures of strengths-based practice"],
        (0.55, 0.20, 0.05, 0.15, 0.05)),
    "Trauma informed": (
        ["Agree trauma-informed principles", "Run ROOTS team self-assessments", "Design trauma-informed training",
         "Deliver the full-day training to pilot teams", "Publish the post-incident support pack",
         "Map services seeing people with complex emotional needs", "Hold co-production events on the CEN pathway",
         "Write the CEN communication aid", "Train trainers for business as usual",
         "Review environments for trauma-informed design", "Agree supervision standards",
         "Evaluate the pilot teams' ROOTS results", "Plan training coordination for 2025",
         "Share learning with partner organisations"],
        (0.50, 0.25, 0.08, 0.12, 0.05)),
    "Evidence led": (
        ["Choose the three PROMs with teams", "Build ReQoL, DIALOG and GBO forms in the record",
         "Co-produce the PROMs training with service users", "Train the community mental health teams",
         "Train urgent and crisis teams", "Map each team's PROMs pathway", "Write 'how to' guides and videos",
         "Set up PROMs data workshops", "Agree PROMs reports for teams", "Launch the patient-facing app",
         "Translate PROMs information leaflets", "Add PROMs to the clinical audit programme",
         "Train inpatient wards", "Publish the research and innovation strategy actions",
         "Build partnerships with universities", "Offer bite-size data training to managers"],
        (0.40, 0.35, 0.12, 0.03, 0.10)),
    "Co-production": (
        ["Agree the co-production charter", "Pay and support experts by experience",
         "Co-produce each workstream's plan", "Train staff in co-production", "Set up the service-user panel",
         "Review co-production in the programme board"],
        (0.75, 0.05, 0.10, 0.10, 0.00)),
    "Outcomes and inequalities": (
        ["Agree outcome measures per workstream", "Define benefits for service users and staff",
         "Set up a health-inequalities dashboard", "Link outcome data to equality fields in the record",
         "Report outcomes by deprivation and ethnicity", "Agree the benefits realisation plan",
         "Train analysts in interrupted time series", "Publish the first outcomes report",
         "Review measures with service users", "Embed outcomes in business planning"],
        (0.10, 0.30, 0.00, 0.00, 0.60)),
}

_STATUSES = ("complete", "on_track", "delayed", "not_needed", "not_started")
# How the same status gets typed in real registers.
_SPELLINGS = {
    "complete": ["Complete", "complete", "COMPLETE", "Complete "],
    "on_track": ["On track", "on_track", "On Track", "on track"],
    "delayed": ["Delayed", "delayed"],
    "not_needed": ["Not needed", "not_needed", "Not Needed"],
    "not_started": ["Not started", "not_started", "NOT STARTED", "Not Started"],
}


def write(out_dir, seed: int = 20241127) -> list[Path]:
    """Write ``out_dir/programme_register.csv`` (columns ``workstream, task, status``).

    Parameters
    ----------
    out_dir
        Existing folder to write into.
    seed
        Random seed; the same seed writes the same file.

    Returns
    -------
    list of Path
        The files written.
    """
    import numpy as np
    import pandas as pd

    from cscs_eval.io import write_table

    rng = np.random.default_rng(seed)
    rows = []
    for workstream, (tasks, probs) in WORKSTREAMS.items():
        p = np.asarray(probs, dtype=float)
        for task in tasks:
            status = _STATUSES[rng.choice(len(_STATUSES), p=p / p.sum())]
            spellings = _SPELLINGS[status]
            rows.append({"workstream": workstream, "task": task,
                         "status": spellings[rng.integers(len(spellings))]})
    path = Path(out_dir) / "programme_register.csv"
    write_table(pd.DataFrame(rows), path)
    return [path]
