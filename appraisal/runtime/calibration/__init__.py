"""Calibration of a cycle: the grade distribution against quotas, overrides with reasons,
locking, publication and closing."""
