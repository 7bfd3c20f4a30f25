"""How much one request may create or change, in one place, and why each limit is where it is.

Every limit is far above what an operations team asks of Backcast, and low enough that a request
at the limit is one short transaction: SQLite has one writer at a time, so a transaction of
minutes makes every other organisation's writes wait and then fail with "database is locked".
The services check these numbers before they write; the API's schemas declare the same numbers
(so they appear in its OpenAPI document); the README's "Limits" lists them. This module imports
nothing, so configuration, services, pages and the API all read it.

- A goal holds at most :data:`GOAL_MILESTONES` live milestones and :data:`GOAL_DEPENDENCIES`
  dependencies. The engine plans 100,000 milestones in under a second, but a goal's page, its
  timeline and its what-if form list every milestone, and the scale bench levels a plan of 2,000
  milestones and 5,000 dependencies in under 2 s: the largest plan whose pages still answer
  promptly. Large programmes plan a few hundred milestones a goal.
- A what-if scenario changes, adds and removes at most :data:`SCENARIO_MILESTONES` milestones
  together; of those it adds at most :data:`SCENARIO_NEW_MILESTONES`, with at most
  :data:`SCENARIO_NEW_LINKS` links (``after`` and ``before``) between them and the plan; it
  changes at most :data:`SCENARIO_CAPACITIES` capacities; and with its changes the goal stays
  within the goal's limits. Adopting replays every change through the milestone services in one
  transaction, and an added milestone or link costs far more there than a changed duration (each
  checks the goal's whole graph): the largest scenario on the largest goal adopts in about 10 s on
  the 2-core machine of the README's figures, within SQLite's 20 s wait for a lock.
- A goal has at most :data:`GOAL_KPIS` KPIs. Every view of a goal reads each KPI's history (a
  long one as daily sums, about a third of a second for 500,000 readings on SQLite), so the KPIs
  a goal may have bound what one view can cost. A SMART goal is proved by a handful.
- :data:`READINGS_PER_REQUEST` readings in one API request: a KPI read every hour for a year is
  8,760. More go in batches, or in a file (below).
- :data:`IMPORT_ROWS` readings in one imported file: the import is one transaction, about 20 s
  for a million readings on SQLite (the README's file-import figures), during which other writes
  wait. Split a longer history into several files.
- :data:`TEXT_LENGTH` characters in a comment, a check-in's note and its blockers: a page of text.
- :data:`FORM_FIELDS` fields in one form: the what-if form of a goal at its milestone limit has
  two a milestone.

Request bodies are limited by size too, before anything reads them (``backcast.request_limits``):
:data:`BODY_MB` for a JSON or form body (10,000 readings with keys of 100 characters take about
1.7 MB) and :data:`UPLOAD_MB` for a file on the import page. These two are the defaults of the
environment variables ``MAX_BODY_MB`` and ``MAX_UPLOAD_MB`` (``backcast.config``), the limits an
operator may need to move; the settings ``BACKCAST_MAX_BODY_BYTES`` and
``BACKCAST_MAX_UPLOAD_BYTES`` hold what is in force.

Checks read these names from this module when they run (``limits.GOAL_MILESTONES``), not copies
taken at import, so a test can lower one.
"""

from __future__ import annotations

GOAL_MILESTONES = 2_000
GOAL_DEPENDENCIES = 5_000
GOAL_KPIS = 20
SCENARIO_MILESTONES = 500
SCENARIO_NEW_MILESTONES = 50
SCENARIO_NEW_LINKS = 100
SCENARIO_CAPACITIES = 100
READINGS_PER_REQUEST = 10_000
IMPORT_ROWS = 1_000_000
TEXT_LENGTH = 5_000
FORM_FIELDS = 2 * GOAL_MILESTONES + 1_000

BODY_MB = 4
UPLOAD_MB = 25
MB = 1024 * 1024


def megabytes(size: int) -> str:
    """A size in bytes as people read a limit: "25 MB", "2.5 MB", or "900 bytes" below one."""
    if size < MB:
        return f"{size:,} bytes"
    return f"{size // MB:,} MB" if size % MB == 0 else f"{size / MB:,.1f} MB"
