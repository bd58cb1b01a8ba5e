"""``cscs-eval sample-data``: regenerate the synthetic sample data."""

from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sample-data", help="regenerate the synthetic sample data (fixed seed, same files every time)",
        description="Write the synthetic sample data (teams, patients, referrals, PROMs, programme register, "
                    "benefit indicators) made by code with a fixed seed. No real patients.")
    p.add_argument("--out", metavar="DIR", default="data/sample", help="output folder (default data/sample)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the project's fixed seed)")
    p.set_defaults(handler=_run)


def _run(args) -> int:
    from pathlib import Path

    from cscs_eval.reporting.runner import check_out_dir
    from cscs_eval.sample import SEED, generate

    out = check_out_dir(Path(args.out))  # not a file, not the root or home folder
    written = generate(out, seed=SEED if args.seed is None else args.seed)
    for path in written:
        print(path)
    return 0
