"""The production entry point: `gunicorn annotator.wsgi:app`.

Settings come from the environment (DATABASE_URL, SECRET_KEY, ...). Once the app and its
models are loaded, gc.freeze() moves them out of the garbage collector's view: long-lived
objects (the scorer's weights, SQLAlchemy's mappers, compiled templates) are then not
traversed again by every full collection, which otherwise adds 50-100 ms pauses to the
render of a long article.

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
gc.freeze()
