"""Appraisals at work: who may see what (`access`), typed values and targets (`inputs`),
drafts, submissions, moves and reopening (`reviews`), peer and subordinate invitations
(`invitations`), and the pages that show them (`views`, `forms`, `render`).

Services take a session and a `Viewer`, ask `workflow` before changing anything, record an
audit event for every change and never commit.
"""
