"""Cycles, generated role forms, submissions, workflow and results."""
