"""Exporters (streaming writers) and the JSON importer; pure: no Flask in here."""

from annotator.exports.filters import ExportFilter, parse_day
from annotator.exports.formats import FORMATS, filename, run_export
from annotator.exports.json_export import export_json

__all__ = ["FORMATS", "ExportFilter", "export_json", "filename", "parse_day", "run_export"]
