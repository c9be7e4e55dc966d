"""Checked before? Find earlier fact-checks (the desk's approved claims, other outlets') of a claim.

Two stages: the database's full-text index retrieves candidates from the matchcandidate table
(SQLite FTS5 with BM25, PostgreSQL tsvector + GIN with ts_rank: services.match_retrieval),
then annotator.matching's
learned re-ranker scores them. Only matches at or above the calibrated floor are returned
(none rather than noise), each in a tier: `same` (the same claim) or `related` (possibly
related). A reviewer's "not the same claim" hides a match from that claim for good
(`reject_match`) and is a negative when the matcher is retrained (`feedback`). The
candidate table follows the claims: an approval adds a claim, a reopen takes it out, an
edit rewrites it (see `on_event`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func
from sqlmodel import Session, select

from annotator import matching, review
from annotator.matching import features as feature_module
from annotator.matching.features import Candidate, Query
from annotator.matching.model import RELATED, SAME, TIERS
from annotator.models import (
    Article,
    Claim,
    Event,
    ExternalFactCheck,
    Job,
    MatchCandidate,
    MatchMark,
    MatchRejection,
    User,
    Verdict,
    utcnow,
)
from annotator.services import events, params
from annotator.services.errors import Forbidden, Invalid, NotFound
from annotator.services.match_retrieval import (  # noqa: F401  (re-exported for callers)
    DESK,
    DESK_RETRIEVE,
    DOC_BUDGET,
    EXTERNAL,
    RETRIEVE,
    TERM_CAP,
    rare_terms,
    retrieve,
    retrieve_groups,
)

APPROVED = "approved"
MAX_LIMIT = 50
# Events after which a claim's place among the candidates may change.
SYNC_ACTIONS = frozenset({"approve", "reopen", "edit", "edit_claimant", "import_json",
                          "merge", "split", "correct"})


# -- keeping the candidates in step ------------------------------------------------------

def _desk_fields(claim: Claim, article: Article | None) -> dict:
    summary = claim.conclusion or ""
    if claim.quote and claim.quote.strip() != claim.statement.strip():
        summary = f"{claim.quote}\n{summary}"
    return {"claim": claim.statement, "title": article.title if article else "",
            "summary": summary[:10000], "claimant": (claim.claimant or "")[:300],
            "published": (article.published if article and article.published
                          else claim.approved_at.date() if claim.approved_at else None)}


def _upsert(session: Session, kind: str, ref_id: int, fields: dict,
            existing: dict | None = None) -> None:
    """Add a candidate, or change the stored one only where its fields differ.

    `existing` maps ref ids to candidates already loaded for a batch; without it the
    candidate is looked up.
    """
    if existing is None:
        row = session.exec(select(MatchCandidate).where(MatchCandidate.kind == kind,
                                                        MatchCandidate.ref_id == ref_id)).first()
    else:
        row = existing.get(ref_id)
    if row is None:
        session.add(MatchCandidate(kind=kind, ref_id=ref_id, **fields))
    elif any(getattr(row, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(row, key, value)
        session.add(row)


def sync_claim(session: Session, claim: Claim) -> None:
    """Make the claim a candidate if it is approved, and take it out otherwise."""
    if claim.state == APPROVED and not claim.orphaned:
        _upsert(session, DESK, claim.id, _desk_fields(claim, session.get(Article,
                                                                          claim.article_id)))
    else:
        session.exec(delete(MatchCandidate).where(MatchCandidate.kind == DESK,
                                                  MatchCandidate.ref_id == claim.id))
    session.flush()


@events.subscribe
def on_event(session: Session, action: str, claim_id: int | None,
             article_id: int | None) -> None:
    """Follow a history event: re-sync the claims it may have changed (events.record calls it)."""
    if action not in SYNC_ACTIONS:
        return
    if claim_id is not None:
        claim = session.get(Claim, claim_id)
        if claim is not None:
            sync_claim(session, claim)
    elif article_id is not None:
        sync_article(session, article_id)
        if action == "import_json":
            restore_rejections(session, article_id)


def sync_article(session: Session, article_id: int) -> None:
    """Re-sync every claim of an article, as sync_claim does, in a few statements."""
    article = session.get(Article, article_id)
    claims = session.exec(select(Claim).where(Claim.article_id == article_id)).all()
    for i in range(0, len(claims), 500):
        chunk = claims[i:i + 500]
        existing = {row.ref_id: row for row in session.exec(select(MatchCandidate).where(
            MatchCandidate.kind == DESK,
            MatchCandidate.ref_id.in_([c.id for c in chunk]))).all()}
        gone = []
        for claim in chunk:
            if claim.state == APPROVED and not claim.orphaned:
                _upsert(session, DESK, claim.id, _desk_fields(claim, article), existing)
            elif claim.id in existing:
                gone.append(claim.id)
        if gone:
            session.exec(delete(MatchCandidate).where(MatchCandidate.kind == DESK,
                                                      MatchCandidate.ref_id.in_(gone)))
    session.flush()


def _external_fields(fc: ExternalFactCheck) -> dict:
    return {"claim": fc.claim_reviewed, "title": fc.title, "summary": fc.summary,
            "claimant": fc.claimant, "published": fc.published}


def index_factchecks(session: Session, rows: Iterable[ExternalFactCheck]) -> None:
    """Add or refresh external fact-checks among the candidates (ids must be flushed)."""
    rows = list(rows)
    if not rows:
        return
    ids = [r.id for r in rows]
    existing = {c.ref_id: c for c in session.exec(select(MatchCandidate).where(
        MatchCandidate.kind == EXTERNAL, MatchCandidate.ref_id.in_(ids))).all()}
    for fc in rows:
        _upsert(session, EXTERNAL, fc.id, _external_fields(fc), existing)
    session.flush()


def reindex(session: Session, batch: int = 1000) -> int:
    """Rebuild every candidate from the approved claims and the external fact-checks.

    It works through both tables a batch at a time, so memory stays flat at any size.
    """
    session.exec(delete(MatchCandidate))
    count = last = 0
    while True:
        rows = session.exec(select(Claim, Article).join(Article, Article.id == Claim.article_id)
                            .where(Claim.state == APPROVED, Claim.orphaned == False,  # noqa: E712
                                   Claim.id > last).order_by(Claim.id).limit(batch)).all()
        if not rows:
            break
        for claim, article in rows:
            session.add(MatchCandidate(kind=DESK, ref_id=claim.id,
                                       **_desk_fields(claim, article)))
        last, count = rows[-1][0].id, count + len(rows)
        session.flush()
        session.expunge_all()
    last = 0
    while True:
        checks = session.exec(select(ExternalFactCheck).where(ExternalFactCheck.id > last)
                              .order_by(ExternalFactCheck.id).limit(batch)).all()
        if not checks:
            break
        for fc in checks:
            session.add(MatchCandidate(kind=EXTERNAL, ref_id=fc.id, **_external_fields(fc)))
        last, count = checks[-1].id, count + len(checks)
        session.flush()
        session.expunge_all()
    return count


# -- matching --------------------------------------------------------------------------------

@dataclass
class Match:
    """One earlier fact-check that looks like the claim, its re-ranker score and its tier."""

    score: float
    candidate: Candidate
    claim: Claim | None = None
    article: Article | None = None
    factcheck: ExternalFactCheck | None = None
    tier: str = SAME

    @property
    def key(self) -> tuple[str, int]:
        """Return (kind, ref id): what a link or a rejection names."""
        return self.candidate.kind, self.candidate.ref_id

    def as_dict(self) -> dict:
        """Shape the match as DESIGN.md's matches API pins it."""
        if self.claim is not None:
            c = self.claim
            return {"kind": DESK, "claim_id": c.id, "statement": c.statement,
                    "verdict": c.verdict, "conclusion": c.conclusion,
                    "url": c.published_url or "", "identifier": "",
                    "publisher": "", "claimant": c.claimant,
                    "date": c.approved_at.date().isoformat() if c.approved_at else None,
                    "article_id": c.article_id, "score": round(self.score, 4),
                    "tier": self.tier}
        f = self.factcheck
        return {"kind": EXTERNAL, "factcheck_id": f.id, "statement": f.claim_reviewed,
                "rating": f.rating, "url": f.url, "identifier": f.identifier,
                "publisher": f.publisher, "title": f.title, "claimant": f.claimant,
                "date": f.published.isoformat() if f.published else None,
                "score": round(self.score, 4), "tier": self.tier}


def rank(session: Session, query_text: str, *, claimant: str = "", when: date | None = None,
         exclude_claim_id: int | None = None, k: int = RETRIEVE) -> list[tuple[float,
                                                                               Candidate]]:
    """Retrieve and re-rank every candidate (each group on its own), best first, no threshold."""
    model, query = matching.load_model(), Query(query_text, claimant, when)
    scored: list[tuple[float, Candidate]] = []
    for group in retrieve_groups(session, query_text, k + 1):
        candidates = [c for c in group
                      if not (c.kind == DESK and c.ref_id == exclude_claim_id)][:k]
        scored += model.rerank(query, candidates)
    # Ties keep group order (external first) and retrieval order: sorted() is stable.
    return sorted(scored, key=lambda pair: -pair[0])


def matches_for_text(session: Session, query_text: str, *, limit: int = 5,
                     claimant: str = "", when: date | None = None,
                     exclude_claim_id: int | None = None,
                     threshold: float | None = None, tier: str | None = None,
                     exclude: set[tuple[str, int]] = frozenset()) -> list[Match]:
    """Return up to `limit` earlier fact-checks of the text, best first, above the floor.

    Each carries its tier (`same` or `related`); `tier` keeps one tier only, and `limit`
    counts the matches of both tiers otherwise. `threshold` overrides the floor (a bench
    reads every candidate with 0.0). `exclude` names (kind, ref id) pairs to leave out.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    if tier is not None and tier not in TIERS:
        raise Invalid(f"tier is one of {', '.join(TIERS)}.")
    model = matching.load_model()
    floor = model.threshold if threshold is None else threshold
    query = Query(query_text, claimant, when)
    same_cut = model.threshold if model.same_threshold is None else model.same_threshold
    scored = []
    for s, c in rank(session, query_text, claimant=claimant, when=when,
                     exclude_claim_id=exclude_claim_id):
        if s < floor or (c.kind, c.ref_id) in exclude:
            continue
        # What it shares with the query matters only where it could be the same claim.
        found = model.tier(s, s >= same_cut
                           and bool(feature_module.shared_evidence(query, c)))
        found = found or RELATED  # under the model's floor, yet asked for
        if tier is None or found == tier:
            c.extra["tier"] = found
            scored.append((s, c))
    desk_ids = [c.ref_id for _, c in scored if c.kind == DESK]
    external_ids = [c.ref_id for _, c in scored if c.kind == EXTERNAL]
    claims = {c.id: c for c in session.exec(select(Claim).where(Claim.id.in_(desk_ids)))
              } if desk_ids else {}
    checks = {f.id: f for f in session.exec(select(ExternalFactCheck).where(
        ExternalFactCheck.id.in_(external_ids)))} if external_ids else {}
    out: list[Match] = []
    for score, cand in scored:
        if cand.kind == DESK:
            claim = claims.get(cand.ref_id)
            # A candidate row can lag behind a claim reopened meanwhile: only approved count.
            if claim is None or claim.state != APPROVED:
                continue
            out.append(Match(score, cand, claim=claim, tier=cand.extra["tier"]))
        else:
            fc = checks.get(cand.ref_id)
            if fc is None:
                continue
            out.append(Match(score, cand, factcheck=fc, tier=cand.extra["tier"]))
        if len(out) >= limit:
            break
    return out


def panel(session: Session, claim_id: int) -> dict:
    """Return what the claim panel's "Checked before?" box shows: the claim, its matches
    (as dicts; `same` and `related` apart), its links and the verdicts' labels."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("No such claim.")
    found = [m.as_dict() for m in matches_for_claim(session, claim)]
    links = linked(session, claim.id)
    return {"claim": claim, "matches": found,
            "same": [m for m in found if m["tier"] == SAME],
            "related": [m for m in found if m["tier"] != SAME],
            "linked": links,
            "linked_keys": {_key(v) for v in links},
            "verdict_labels": dict(session.exec(select(Verdict.key, Verdict.label)).all())}


def archive(session: Session, job_format: str) -> dict:
    """Return how many external fact-checks are loaded and the five latest loads (jobs of
    `job_format`), for the admin page."""
    return {"count": session.exec(select(func.count()).select_from(ExternalFactCheck)).one(),
            "recent": session.exec(select(Job).where(Job.format == job_format)
                                   .order_by(Job.id.desc()).limit(5)).all()}


def mark_for(claim_id: int, matches: list[Match]) -> MatchMark | None:
    """Return the "checked before" mark these (same-tier) matches give a claim, if any."""
    if not matches:
        return None
    best = matches[0]
    label = (best.claim.statement if best.claim is not None
             else best.factcheck.claim_reviewed or best.factcheck.title)
    return MatchMark(claim_id=claim_id, matches=len(matches), best_kind=best.candidate.kind,
                     best_label=(label or "")[:300], probability=round(best.score, 4),
                     computed_at=utcnow())


def matches_for_claim(session: Session, claim: Claim, *, limit: int = 5,
                      threshold: float | None = None, tier: str | None = None) -> list[Match]:
    """Return the earlier fact-checks that look like this claim, leaving out the claim
    itself and the matches a reviewer marked "not the same claim"."""
    article = session.get(Article, claim.article_id)
    return matches_for_text(session, claim.statement, limit=limit, claimant=claim.claimant,
                            when=article.published if article else None,
                            exclude_claim_id=claim.id, threshold=threshold, tier=tier,
                            exclude=rejected(session, claim.id))


# -- "same claim as ..." links ----------------------------------------------------------------

LINK = "link_match"


def _link_value(session: Session, kind: str, ref_id: int) -> dict:
    if kind == DESK:
        claim = session.get(Claim, ref_id)
        if claim is None or claim.state != APPROVED:
            raise NotFound("No such approved claim to link.")
        return {"kind": DESK, "claim_id": claim.id, "statement": claim.statement,
                "verdict": claim.verdict, "url": claim.published_url or ""}
    if kind == EXTERNAL:
        fc = session.get(ExternalFactCheck, ref_id)
        if fc is None:
            raise NotFound("No such fact-check to link.")
        return {"kind": EXTERNAL, "factcheck_id": fc.id, "statement": fc.claim_reviewed,
                "rating": fc.rating, "url": fc.url, "identifier": fc.identifier,
                "publisher": fc.publisher}
    raise Invalid("A match is either desk or external.")


def _key(value: dict) -> tuple:
    return (value.get("kind"), value.get("claim_id") or value.get("factcheck_id"))


def linked(session: Session, claim_id: int) -> list[dict]:
    """Return the earlier fact-checks linked to a claim as "same claim as", oldest first."""
    rows = session.exec(select(Event).where(Event.claim_id == claim_id,
                                            Event.action == LINK).order_by(Event.id)).all()
    out: dict[tuple, dict] = {}
    gone = rejected(session, claim_id)
    for event in rows:
        if isinstance(event.new, dict) and _key(event.new) not in gone:
            out.setdefault(_key(event.new), event.new)
    return list(out.values())


def link_match(session: Session, user: User, claim_id: int, kind: str, ref_id) -> dict:
    """Record that a claim is the same claim as an earlier fact-check (once; in history)."""
    if not review.role_at_least(user.role, review.REVIEWER) or not user.active:
        raise Forbidden("Your role can read matches but not link them.")
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("No such claim.")
    if ref_id in (None, ""):
        raise Invalid("Say which match to link.", field="ref")
    ref = params.to_int(ref_id, "ref", low=1)
    if kind == DESK and ref == claim.id:
        raise Invalid("A claim cannot be the same claim as itself.")
    value = _link_value(session, kind, ref)
    if any(_key(v) == _key(value) for v in linked(session, claim.id)):
        return value
    # The reviewer changed their mind about a "not the same claim": linking takes it back.
    session.exec(delete(MatchRejection).where(MatchRejection.claim_id == claim.id,
                                              MatchRejection.kind == kind,
                                              MatchRejection.ref_id == ref))
    events.remember(session, claim.id)
    events.record(session, LINK, actor=user, article_id=claim.article_id, claim_id=claim.id,
                  new=value)
    return value


# -- "not the same claim" ---------------------------------------------------------------------

REJECT = "reject_match"


def rejected(session: Session, claim_id: int) -> set[tuple[str, int]]:
    """Return the (kind, ref id) pairs a reviewer marked "not the same claim" for a claim."""
    return {(kind, ref) for kind, ref in session.exec(
        select(MatchRejection.kind, MatchRejection.ref_id)
        .where(MatchRejection.claim_id == claim_id)).all()}


def reject_match(session: Session, user: User, claim_id: int, kind, ref_id) -> dict:
    """Record that an earlier fact-check is not the same claim as this claim.

    Stored once per pair and hidden from the claim's matches from then on; the history
    gets a `reject_match` event (and so the native export); `feedback` hands the pair to
    the matcher's next training as a negative. A "same claim as" link to it no longer
    shows; linking it again takes the rejection back.
    """
    if not review.role_at_least(user.role, review.REVIEWER) or not user.active:
        raise Forbidden("Your role can read matches but not judge them.")
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound("No such claim.")
    if kind not in (DESK, EXTERNAL):
        raise Invalid("kind is either desk or external.")
    if ref_id in (None, ""):
        raise Invalid("Say which match is not the same claim (ref).", field="ref")
    ref = params.to_int(ref_id, "ref", low=1)
    if kind == DESK and ref == claim.id:
        raise Invalid("A claim is always the same claim as itself.")
    target = session.get(Claim if kind == DESK else ExternalFactCheck, ref)
    if target is None:
        raise NotFound("No such match.")
    value = ({"kind": DESK, "claim_id": ref, "statement": target.statement} if kind == DESK
             else {"kind": EXTERNAL, "factcheck_id": ref, "statement": target.claim_reviewed,
                   "identifier": target.identifier, "url": target.url})
    if (kind, ref) in rejected(session, claim.id):
        return value
    session.add(MatchRejection(claim_id=claim.id, kind=kind, ref_id=ref, user_id=user.id))
    events.record(session, REJECT, actor=user, article_id=claim.article_id,
                  claim_id=claim.id, new=value)
    session.flush()
    if session.get(MatchMark, claim.id) is not None:
        # The article page's "checked before" mark must not rest on the rejected match.
        session.exec(delete(MatchMark).where(MatchMark.claim_id == claim.id))
        mark = mark_for(claim.id, matches_for_claim(session, claim, tier=SAME))
        if mark is not None:
            session.add(mark)
        session.flush()
    return value


def _resolve(session: Session, value: dict) -> tuple[str, int] | None:
    """Find the match a history value names, in this database: an external fact-check by
    its identifier or URL first (an import may give it another id), else by id."""
    if value.get("kind") == DESK:
        ref = value.get("claim_id")
        return (DESK, ref) if isinstance(ref, int) and session.get(Claim, ref) else None
    if value.get("kind") != EXTERNAL:
        return None
    for column in ("identifier", "url"):
        if value.get(column):
            found = session.exec(select(ExternalFactCheck.id).where(
                getattr(ExternalFactCheck, column) == value[column])).first()
            if found is not None:
                return EXTERNAL, found
    ref = value.get("factcheck_id")
    return (EXTERNAL, ref) if isinstance(ref, int) and session.get(ExternalFactCheck,
                                                                   ref) else None


def restore_rejections(session: Session, article_id: int) -> int:
    """Rebuild an imported article's "not the same claim" pairs from its history (the native
    export carries the events, not the table): the last link or rejection of a pair decides.
    Return how many pairs were added."""
    events_ = session.exec(select(Event).where(
        Event.article_id == article_id, Event.claim_id.is_not(None),
        Event.action.in_((LINK, REJECT))).order_by(Event.id)).all()
    last: dict[tuple[int, str, int], Event] = {}
    for event in events_:
        found = _resolve(session, event.new) if isinstance(event.new, dict) else None
        if found is not None:
            last[(event.claim_id, *found)] = event
    if not last:
        return 0
    have = {(r.claim_id, r.kind, r.ref_id) for r in session.exec(select(MatchRejection).where(
        MatchRejection.claim_id.in_({k[0] for k in last}))).all()}
    added = 0
    for (claim_id, kind, ref), event in last.items():
        if event.action == REJECT and (claim_id, kind, ref) not in have:
            session.add(MatchRejection(claim_id=claim_id, kind=kind, ref_id=ref,
                                       user_id=event.actor_id, created_at=event.created_at))
            added += 1
    session.flush()
    return added


@dataclass
class Example:
    """One reviewed pair for retraining: the claim as the query, the match, and the label."""

    query: Query
    candidate: Candidate
    label: int  # 1: linked as "same claim as"; 0: marked "not the same claim"


def feedback(session: Session) -> list[Example]:
    """Return the desk's reviewed pairs: "same claim as" links are positives, "not the same
    claim" rejections negatives. bench/matching.py --feedback adds them to its training."""
    pairs: dict[tuple[int, str, int], int] = {}
    for event in session.exec(select(Event).where(Event.action == LINK)).all():
        if isinstance(event.new, dict) and event.claim_id is not None:
            kind, ref = _key(event.new)
            if kind in (DESK, EXTERNAL) and isinstance(ref, int):
                pairs[(event.claim_id, kind, ref)] = 1
    for row in session.exec(select(MatchRejection)).all():
        pairs[(row.claim_id, row.kind, row.ref_id)] = 0  # a rejection outweighs a link
    out = []
    for (claim_id, kind, ref), label in sorted(pairs.items()):
        claim = session.get(Claim, claim_id)
        candidate = _candidate(session, kind, ref)
        if claim is None or candidate is None:
            continue
        article = session.get(Article, claim.article_id)
        out.append(Example(Query(claim.statement, claim.claimant,
                                 article.published if article else None), candidate, label))
    return out


def _candidate(session: Session, kind: str, ref: int) -> Candidate | None:
    if kind == DESK:
        claim = session.get(Claim, ref)
        if claim is None:
            return None
        fields = _desk_fields(claim, session.get(Article, claim.article_id))
    else:
        fc = session.get(ExternalFactCheck, ref)
        if fc is None:
            return None
        fields = _external_fields(fc)
    return Candidate(kind=kind, ref_id=ref, claim=fields["claim"], title=fields["title"],
                     summary=fields["summary"], claimant=fields["claimant"],
                     published=fields["published"])
