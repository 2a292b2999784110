"""Schemes and cycles: who a template applies to, launching a period's run, the figures and
targets of a whole cycle (grids and file imports), payroll exports, and what waits for whom."""
