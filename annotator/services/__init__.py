"""Use cases: each takes a Session and an actor, writes, records Events, never commits."""

# Registers the mapper event that stores a note's @mentions with the note.
from annotator.services import mentions as _mentions  # noqa: E402, F401
