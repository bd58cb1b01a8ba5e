"""Small-number disclosure in the funnel: the published table, the figure and `benefits funnel` (suppressed
unless `--no-suppress`)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from benefits_helpers import run_cli  # noqa: E402
from cscs_eval.benefits import funnel, funnel_caption, outlier_table, plot_funnel, save_tables  # noqa: E402
from cscs_eval.cli import main  # noqa: E402

# team a: numerator 2 (small); team f: denominator 3 (small); the rest are published
TEAMS = pd.DataFrame({"team": list("abcdefg"), "numerator": [2, 30, 45, 20, 70, 1, 36],
                      "denominator": [100, 150, 200, 80, 250, 3, 160]})
LIMITS = ["rate", "lower95", "upper95", "lower998", "upper998"]


def test_small_marks_numerator_or_denominator_of_1_to_4():
    r = funnel(TEAMS, by="team")
    assert r.table.loc[r.small(), "group"].tolist() == ["a", "f"]


def test_published_table_withholds_rates_and_limits_of_small_teams():
    r = funnel(TEAMS, by="team")
    t = r.published_table().set_index("group")
    assert t.columns.tolist() == ["numerator", "denominator", *LIMITS, "outlier"]
    assert t.loc["a", "numerator"] == "*" and t.loc["a", "denominator"] == 100
    assert t.loc["f", "denominator"] == "*" and t.loc["f", "numerator"] == "*"
    for col in LIMITS:  # a team's limits give its denominator away, so they go too
        assert t.loc["a", col] == "*" and t.loc["f", col] == "*"
    # b's rate and limits from its published counts (30 of 150, both multiples of 5 already), to 4 decimals
    assert t.loc["b", "rate"] == 0.2
    for col in LIMITS[1:]:
        assert t.loc["b", col] == pytest.approx(r.limits_at([150]).loc[0, col], abs=5e-5)
    assert t.loc["g", "numerator"] == 35 and t.loc["g", "denominator"] == 160  # rounded to the nearest 5
    exact = r.published_table(suppress=False)
    pd.testing.assert_frame_equal(exact, r.table.drop(columns=["z"]))
    pct = r.published_table(suppress=False, percent=True)
    assert pct["rate"].tolist() == pytest.approx((100 * r.table["rate"]).tolist())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.floats(0, 1)), min_size=2, max_size=15))
def test_published_table_never_reveals_a_count_of_1_to_4(groups):
    n = [g[0] for g in groups]
    x = [int(round(g[0] * g[1])) for g in groups]
    df = pd.DataFrame({"group": [f"g{i}" for i in range(len(n))], "numerator": x, "denominator": n})
    t = funnel(df).published_table()
    for col in ("numerator", "denominator"):
        shown = t[col][t[col] != "*"].astype(int)
        assert ((shown == 0) | (shown % 5 == 0)).all()
    small = (df["numerator"].between(1, 4) | df["denominator"].between(1, 4)).to_numpy()
    assert (t.loc[small, LIMITS] == "*").all().all()


def _plotted(ax):
    xs = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections]) if ax.collections else np.array([])
    return sorted(xs.tolist()), [t.get_text() for t in ax.texts]


def test_figure_leaves_small_teams_out_but_keeps_their_limits():
    r = funnel(TEAMS, by="team")
    fig, ax = plt.subplots()
    plot_funnel(r, ax=ax, suppress=True)
    xs, labels = _plotted(ax)
    assert xs == [80, 150, 160, 200, 250]
    assert "a" not in labels and "f" not in labels
    # the curves start from the teams drawn, not at a hidden team's denominator
    assert min(line.get_xdata().min() for line in ax.lines if len(line.get_xdata()) > 2) == pytest.approx(64)
    plt.close(fig)
    fig, ax = plt.subplots()
    plot_funnel(r, ax=ax, suppress=False)
    xs, labels = _plotted(ax)
    assert xs == [3, 80, 100, 150, 160, 200, 250] and "a" in labels
    plt.close(fig)
    assert r.target == pytest.approx(TEAMS["numerator"].sum() / TEAMS["denominator"].sum())  # from every team


def test_figure_when_every_team_is_small():
    r = funnel(pd.DataFrame({"group": ["a", "b"], "numerator": [1, 2], "denominator": [3, 4]}))
    fig, ax = plt.subplots()
    plot_funnel(r, ax=ax, suppress=True)
    assert _plotted(ax)[0] == []
    plt.close(fig)


def test_caption_says_how_many_are_not_shown():
    r = funnel(TEAMS, by="team")
    text = funnel_caption(r, unit="teams", suppress=True)
    # plain words, no statistics jargon: the counts in words, the over-dispersion explained (r.text() has phi, tau²)
    # the one team outside the 99.8% limits is a (2 of 100, suppressed): its band is not told either
    assert text.startswith("Across 7 teams the overall rate is 21.6%. No teams lie outside the 99.8% limits and no "
                           "more outside the 95% limits. The limits are widened because the teams differ more than "
                           "chance alone would make them (over-dispersion).")
    assert text.endswith("2 teams with a count of 1 to 4 (or hidden so that such a count cannot be worked out) are "
                         "not shown, nor counted above (small-number suppression); the limits use every team.")
    assert "not shown" not in funnel_caption(r, suppress=False)
    assert "not shown" not in funnel_caption(funnel(TEAMS.iloc[1:5], by="team"))


def test_outlier_table_is_suppressed():
    t = outlier_table(funnel(TEAMS, by="team"), group_label="Team", numerator_label="Paired",
                      denominator_label="Eligible").table
    assert t.columns.tolist() == ["Team", "Paired", "Eligible", "Paired (%)", "Outside"]
    # a (2 of 100) lies outside the 99.8% limits, but listing it would tell that of a suppressed team
    assert "a" not in t["Team"].tolist()
    assert "a" in outlier_table(funnel(TEAMS, by="team"), group_label="Team", suppress=False).table["Team"].tolist()


def test_save_tables_writes_the_suppressed_funnel(tmp_path):
    out = save_tables(tmp_path / "out", funnel=funnel(TEAMS, by="team"))
    t = pd.read_csv(out / "funnel_paired_by_team.csv", dtype=str)
    assert t.loc[t["group"] == "a", "numerator"].item() == "*" and "z" not in t.columns
    out = save_tables(tmp_path / "raw", funnel=funnel(TEAMS, by="team"), suppress=False)
    assert pd.read_csv(out / "funnel_paired_by_team.csv")["numerator"].tolist()[:1] == [2]



def test_cli_funnel_suppresses_unless_no_suppress(tmp_path, capsys):
    f = tmp_path / "teams.csv"
    TEAMS.to_csv(f, index=False)
    raw, published = tmp_path / "raw.csv", tmp_path / "published.csv"
    code, stdout, _ = run_cli(capsys, "benefits", "funnel", str(f), "--by", "team", "--no-suppress", "--out", str(raw))
    assert code == 0 and "Not for publication" in stdout
    exact = pd.read_csv(raw, dtype=str)
    assert exact["numerator"].tolist() == ["2", "30", "45", "20", "70", "1", "36"]  # analysts get exact counts
    code, stdout, _ = run_cli(capsys, "benefits", "funnel", str(f), "--by", "team", "--out", str(published))
    assert code == 0 and "Across 7 groups" in stdout and "Not for publication" not in stdout
    t = pd.read_csv(published, dtype=str).set_index("group")
    assert t["numerator"].tolist() == ["*", "30", "45", "20", "70", "*", "35"]
    assert t.loc["f", "denominator"] == "*" and (t.loc[["a", "f"], LIMITS] == "*").all().all()
    assert t.columns.tolist() == exact.columns.tolist()[1:]


def test_cli_funnel_help_names_no_suppress(capsys):
    with pytest.raises(SystemExit) as e:
        main(["benefits", "funnel", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--no-suppress" in out and "--suppress " not in out
