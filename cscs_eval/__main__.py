"""``python -m cscs_eval`` runs the same command line as ``cscs-eval``."""

from cscs_eval.cli import main

raise SystemExit(main())
