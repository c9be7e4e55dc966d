"""Exporters (streaming writers) and the JSON importer; pure: no Flask in here."""

from annotator.exports.formats import FORMATS, filename, run_export
from annotator.exports.json_export import export_json
from annotator.exports.rows import ExportFilter, parse_day

__all__ = ["FORMATS", "ExportFilter", "export_json", "filename", "parse_day", "run_export"]
