"""Use cases: each takes a Session and an actor, writes, records Events, never commits."""
