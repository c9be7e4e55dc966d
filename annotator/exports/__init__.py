"""Exporters (streaming writers) and the JSON importer; pure: no Flask in here."""

from annotator.exports.json_export import ExportFilter, export_json

__all__ = ["ExportFilter", "export_json"]
