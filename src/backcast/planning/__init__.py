"""The pure planning core: no Django, no I/O, no clock (see README.md in this folder).

The backward scheduler (``engine.plan_backward``), its calendar, model and levelling, the
schedule-risk simulation, the plan-file reader, KPI trajectories and forecasts, the SMART check
and health. ``make test`` checks that nothing here imports the rest of Backcast or Django.
"""
