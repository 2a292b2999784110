"""`python -m appraisal …` is the `appraisal` command (the worker `appraisal run` starts)."""

from .cli import main

main()
