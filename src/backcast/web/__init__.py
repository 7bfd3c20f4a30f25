"""The HTML interface: views, forms, templates, template tags, static files and page read models.

An interface like the API and the command line: its views parse a request, call one service
that writes (``backcast.services``), and render what the read models of ``pages/`` gather. It
holds everything that knows a template or a DOM id; nothing below it imports it.

- ``urls/``, ``views/``, ``forms/``: one module per area (goals, the wizard, replanning,
  organisations, accounts, activity, notifications, feeds, comments, imports).
- ``pages/``: what the dashboard, a goal's page and its timeline show, gathered in a fixed number
  of queries.
- ``templates/``, ``templatetags/``, ``static/``: found through this app (it comes first in
  ``INSTALLED_APPS``, so its templates replace Django's own where they share a name).
"""
