"""annotator: a fact-check and claim annotation workbench."""

__version__ = "0.1.0"


def create_app(config: dict | None = None):
    """Assemble the app: settings, extensions, blueprints."""
    from annotator.app import build

    return build(config)
