"""Backups: a whole organisation, or the whole instance, as one versioned JSON document.

``export_backup`` writes it (``backcast export``) and ``import_backup`` restores it into an
empty database (``backcast import``), between SQLite and PostgreSQL in either direction. A round
trip loses nothing: every row of every model is kept with its primary key, readings and audit
trail included, except the derived and transient tables ``catalog.EXCLUDED`` names with its
reasons. ``catalog`` says which models and how their values are written, ``scope`` which rows
belong to one organisation, ``writer`` and ``reader`` stream the document, ``restore`` writes it.
"""

from backcast.services.backup.catalog import EXCLUDED, FORMAT, INSTANCE_ONLY, VERSION, exported_models
from backcast.services.backup.restore import ImportResult, import_backup, what_is_there
from backcast.services.backup.writer import ExportResult, export_backup

__all__ = [
    "EXCLUDED",
    "FORMAT",
    "INSTANCE_ONLY",
    "VERSION",
    "ExportResult",
    "ImportResult",
    "export_backup",
    "exported_models",
    "import_backup",
    "what_is_there",
]
