"""Dashboards: what people see at a glance, built as `appraisal.charts.Chart`s from grouped
queries and the scoring engine's own results.

- `mine`: an employee's own performance (live attainment, sections, trend across cycles)
- `team`: a manager's reports (heatmap, who is behind, activity vs plan, result vs process)
- `organization`: HR's whole organization (funnel, completion, grades against quotas,
  departments, trends, appeals)

Each page is `/dashboards/<name>`; each chart's data is also `/dashboards/<name>/<key>.json`
and `.xlsx`, behind the same permission checks as the page.
"""
