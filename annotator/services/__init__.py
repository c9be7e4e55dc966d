"""Use cases: each takes a Session and an actor, writes, records Events, never commits."""

# Modules that hook into lower ones register themselves when they load; loading them here
# means every process that uses a service has every hook, and no lower module imports them:
# mentions stores a note's @mentions with the note (a mapper event); matching follows each
# recorded history event (events.subscribe); documents gives webhooks their payloads;
# article_jobs imports long articles in the worker (a job importer).
from annotator.services import article_jobs as _article_jobs  # noqa: E402, F401
from annotator.services import documents as _documents  # noqa: E402, F401
from annotator.services import json_import as _json_import  # noqa: E402, F401 (job runners)
from annotator.services import matching as _matching  # noqa: E402, F401
from annotator.services import mentions as _mentions  # noqa: E402, F401
