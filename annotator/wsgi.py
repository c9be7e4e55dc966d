"""The production entry point: `gunicorn annotator.wsgi:app`.

Settings come from the environment (DATABASE_URL, SECRET_KEY, ...). Once the app, its
models and its compiled templates are loaded, gc.freeze() moves them out of the garbage
collector's view: long-lived objects (the scorer's weights, SQLAlchemy's mappers, compiled
templates) are then not traversed again by every full collection, which otherwise adds
50-100 ms pauses to the render of a long article.

Serve it with `gunicorn --preload`: the app, the language model and the scorer then load
once in the master and the workers share those pages copy-on-write (gc.freeze() keeps the
collector from touching, and so copying, them). bench/scale.py reports each worker's
RSS, PSS and USS.
"""

import gc

from annotator import create_app, extract

app = create_app()
# Load the language model and the scorer now, not on the first import a person makes.
extract.detect_language("The council met on Tuesday to discuss the budget.")
extract.score_texts(["The council spent 4 million euros."])
# Compile every template now: the first render of a page compiles its templates (about
# 100 ms for the claim panel), which would otherwise fall on the first reviewers after a
# restart, in every worker.
for _name in app.jinja_env.list_templates(extensions=("html",)):
    app.jinja_env.get_template(_name)
gc.freeze()
