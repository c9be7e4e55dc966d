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


DEBIAN_PYTHON = Path("/usr/bin/python3")


def test_a_fresh_venv_with_debians_own_pip_installs_the_wheel_and_imports_html(tmp_path, shared):
    """Debian 12's pip (23.0), not upgraded, misses lxml 6's `html_clean` extra unless the
    project names `lxml_html_clean` itself; without it trafilatura fails to import."""
    assert DEBIAN_PYTHON.exists(), "Debian's python3 is part of the machine"
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(wheels)], check=True)
    (wheel,) = wheels.glob("annotator-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", str(venv)], check=True)
    pip_version = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--version"],
                                 check=True, capture_output=True, text=True).stdout
    assert pip_version.startswith("pip 23."), pip_version
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", "-c", str(ROOT / "constraints.txt"),
                    str(wheel)], check=True)
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Harbour report</title></head><body><article>"
                    "<p>The harbour handled 3.1 million containers in 2024, the port "
                    "authority said, up 12 percent on the year before.</p>"
                    "<p>Its director, Ana Lima, said on Monday that 40 new cranes had been "
                    "ordered for 2026.</p></article></body></html>")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
           "ANNOTATOR_INSTANCE": str(tmp_path / "instance")}
    made = subprocess.run([str(venv / "bin" / "annotator"), "users", "create", "ed", "--role",
                           "editor", "--password", "harbour-cranes-ordered-2026"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert made.returncode == 0, made.stderr
    done = subprocess.run([str(venv / "bin" / "annotator"), "import", str(page)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    exported = subprocess.run([str(venv / "bin" / "annotator"), "export", "--format", "json"],
                              capture_output=True, text=True, env=env, timeout=600)
    assert exported.returncode == 0, exported.stderr
    assert "3.1 million containers" in exported.stdout
