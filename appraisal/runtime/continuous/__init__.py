"""Continuous performance between appraisals: work plans, 1:1 check-ins, feedback notes,
and the evidence timeline the manager's review form shows."""
