"""Deployment from a wheel: templates, static files, migrations and data ship inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_everything_the_app_needs_at_run_time(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(tmp_path)], check=True)
    (wheel,) = tmp_path.glob("annotator-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("annotator/templates/base.html", "annotator/templates/claims/_panel.html",
                   "annotator/static/app.js", "annotator/static/app.css",
                   "annotator/static/vendor/htmx.min.js",
                   "annotator/migrations/versions/0001_initial_schema.py",
                   "annotator/migrations/script.py.mako",
                   "annotator/exports/export.schema.json",
                   "annotator/extract/data/scorer.json", "annotator/demo_article.txt"):
        assert needed in names, needed
    assert not any("node_modules" in n for n in names)
