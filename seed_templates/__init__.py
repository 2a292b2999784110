"""Industry packs as data files (JSON). Located through `appraisal.packs.seed_root()`."""
