"""The README is the manual: it covers every command and every setting."""

from __future__ import annotations

import re
from pathlib import Path

import click

from annotator import config
from annotator.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
INTERNAL = {"SECRET_KEY", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
            "REMEMBER_COOKIE_HTTPONLY", "REMEMBER_COOKIE_SAMESITE", "WTF_CSRF_TIME_LIMIT"}


def _commands(group: click.Group, prefix: str = "annotator"):
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path


def test_every_command_is_in_the_readme():
    for path in _commands(main):
        assert path in README, path


def test_every_setting_is_in_the_readme(monkeypatch, tmp_path):
    monkeypatch.setenv("ANNOTATOR_INSTANCE", str(tmp_path))
    for key in config.load():
        if key not in INTERNAL:
            assert key in README, key
    assert "DATABASE_URL" in README and "SECRET_KEY" in README


def test_every_json_twin_is_listed_in_the_readme(app):
    import inspect

    twins = README.split("**JSON twins.**", 1)[1].split("\n## ", 1)[0]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/exports/", "/static")) or "download" in rule.rule:
            continue
        source = inspect.getsource(inspect.unwrap(app.view_functions[rule.endpoint]))
        if "format" in source and '"json"' in source:
            shown = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "<id>" if m.group(1).endswith("id")
                           else f"<{m.group(1)}>", rule.rule)
            assert f"`{shown}`" in twins, shown
