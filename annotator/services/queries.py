"""Read-side queries: the claims list (filters, search, sort, pages), the queue, activity.

Every list reads one bounded page through an index; totals are counted up to COUNT_CAP
(a capped total is reported as a lower bound) or read from the tally table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import and_, case, func, literal, literal_column, not_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from annotator import review
from annotator.models import Article, Claim, ClaimTally, Event, User
from annotator.sanitize import bounded_int
from annotator.search import query as search_query
from annotator.services import articles, blind, params, search
from annotator.services.errors import Invalid
from annotator.services.mentions import mentioned_usernames  # noqa: F401  (re-exported)

PER_PAGE = 50
MAX_PER_PAGE = 200
COUNT_CAP = 10_000
# Text searches rank this many of the newest matches by relevance (see find_claims).
RANK_WINDOW = 1_000
SORTS = {"id": Claim.id, "score": Claim.score, "state": Claim.state, "verdict": Claim.verdict,
         "assignee": Claim.assignee_id, "updated": Claim.updated_at,
         "submitted_by": Claim.submitted_by_id}
# Sort keys that never hold NULL can page by cursor; the others page by offset.
KEYSET = {"id", "score", "state", "updated"}
# Columns whose cursor value is text; every other keyset column holds a number or a time.
TEXT_SORTS = {"state", "verdict"}


@dataclass
class ClaimFilter:
    """The filters of the claims list; every field is optional and they combine."""

    states: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    assignee: str = ""  # a username, "me", or "none"
    article_id: int | None = None
    q: str = ""
    sort: str = ""  # a key of SORTS, "-key" for descending; "" for the natural order
    # Sentences the proposal budget held back are left out unless asked for, by this or by
    # the state filter (issue 20): nobody has looked at them yet.
    held_back: bool = False

    def parsed(self) -> search_query.Query:
        return search_query.parse(self.q)

    def conditions(self, session: Session, me: User | None) -> list:
        """Return the SQL conditions on Claim (and its article) this filter stands for."""
        query = self.parsed()
        fields = query.fields
        states = list(self.states) + [_key(v) for v in fields.get("state", [])]
        verdicts = list(self.verdicts) + [_key(v) for v in fields.get("verdict", [])]
        conds = []
        if query.unmatchable:
            conds.append(Claim.id.is_(None))
        if states:
            conds.append(Claim.state.in_(states))
        elif not self.held_back:
            conds.append(Claim.state != review.HELD_BACK)
        if verdicts:
            conds.append(Claim.verdict.in_(verdicts))
            # A verdict filter must not find verdicts blind review hides from this person.
            conds.append(blind.verdict_visible(me))
        if self.article_id is not None:
            conds.append(Claim.article_id == self.article_id)
        for value in fields.get("article", []):
            if value.isdigit():
                # An id no database holds finds nothing (and never overflows the driver).
                conds.append(Claim.article_id == (bounded_int(value, low=1) or -1))
            else:
                pattern = f"%{_escape_like(value.lower())}%"
                conds.append(Claim.article_id.in_(select(Article.id).where(
                    func.lower(Article.title).like(pattern, escape="\\"))))
        for value in [self.assignee, *fields.get("assignee", [])]:
            if value:
                conds.append(_assignee_condition(value, me))
        dialect = search.dialect_of(session)
        for value in fields.get("claimant", []):
            terms = search_query.parse(f'"{value}"').include
            conds.append(search.claimant_condition(dialect, terms) if terms
                         else Claim.id.is_(None))
        text = search.text_condition(dialect, query, blind.verdict_visible(me))
        if text is not None:
            conds.append(text)
        return conds

    def only_tallied(self) -> bool:
        """Tell whether the tally table alone can count this filter (states and verdicts)."""
        return not (self.assignee or self.article_id is not None or self.q.strip())


def _key(value: str) -> str:
    return value.strip().lower().replace(" ", "_").replace("-", "_")


def _assignee_condition(value: str, me: User | None):
    if value == "none":
        return Claim.assignee_id.is_(None)
    if value == "me":
        return Claim.assignee_id == (me.id if me is not None else -1)
    return Claim.assignee_id.in_(select(User.id).where(User.username == value))


def claim_filter(values, assignee_key: str = "assignee") -> ClaimFilter:
    """Read the claims list's filters from a query string, a form or a JSON object.

    The one parser for the claims page, its twin and ``GET /api/v1/claims``: ``state`` (one
    or more), ``verdict``, ``assignee`` (a username, ``me`` or ``none``), ``article`` (an id,
    or a title, searched as the query language's ``article:`` field), ``claimant`` (searched as
    ``claimant:``), ``q`` (the search language), ``sort`` and ``held_back``. A value outside
    its rule is refused with a 400 naming the parameter.
    """
    getlist = getattr(values, "getlist", None)

    def many(name: str) -> list[str]:
        raw = getlist(name) if getlist else values.get(name, [])
        raw = [raw] if isinstance(raw, str) else list(raw or [])
        return [params.clean_text(v, name) if isinstance(v, str) else _not_text(name)
                for v in raw if v != ""]

    states = many("state")
    for state in states:
        if state not in review.STATES:
            raise Invalid(f"state must be one of: {', '.join(review.STATES)}.", field="state")
    verdicts = many("verdict")
    if any(len(v) > 32 for v in verdicts):
        raise Invalid("verdict is a verdict key (at most 32 characters).", field="verdict")
    article = params.text(values, "article", max_length=500)
    q = params.text(values, "q", max_length=500)
    article_id = None
    if article:
        if article.isascii() and article.isdigit():
            article_id = params.to_int(article, "article", low=1)
        else:
            # A title typed into the article picker: the search language's article: field.
            q = f'{q} article:"{article.replace(chr(34), " ")}"'.strip()
    claimant = params.text(values, "claimant", max_length=300)
    if claimant:
        q = f'{q} claimant:"{claimant.replace(chr(34), " ")}"'.strip()
    sort = params.text(values, "sort", max_length=40)
    if sort and sort.lstrip("-") not in SORTS:
        raise Invalid(f"sort must be one of: {', '.join(sorted(SORTS))} (with - to reverse).",
                      field="sort")
    held = params.text(values, "held_back", max_length=8)
    if held not in ("", "0", "1", "true", "false"):
        raise Invalid("held_back must be 1 or 0.", field="held_back")
    return ClaimFilter(states=states, verdicts=verdicts,
                       assignee=params.text(values, assignee_key, max_length=64),
                       article_id=article_id, q=q, sort=sort, held_back=held in ("1", "true"))


def _not_text(name: str):
    raise Invalid(f"{name} must be text.", field=name)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class ClaimPage:
    """One page of the claims list."""

    rows: list[tuple[Claim, Article]]
    total: int
    total_exact: bool
    page: int
    per_page: int
    sort: str
    has_next: bool
    next_cursor: str | None
    snippets: dict[int, Markup] = field(default_factory=dict)


def encode_cursor(values: list) -> list:
    """Return a row's sort key, JSON-ready; the faces sign it into an opaque ``?after=``."""
    return [v.isoformat() if isinstance(v, datetime) else v for v in values]


def decode_cursor(values: list | None) -> list | None:
    """Check a sort key that came back from a signed cursor; None when it is not a key."""
    if not isinstance(values, list) or len(values) != 2 or not isinstance(values[1], int):
        return None
    if not isinstance(values[0], (str, int, float)) or isinstance(values[0], bool):
        return None
    if any(isinstance(v, int) and not -2**62 < v < 2**62 for v in values) or (
            isinstance(values[0], str) and len(values[0]) > 64):
        return None  # not a value any row holds; databases refuse such integers
    return values


def _cursor_value(col, value):
    """Return a cursor's sort value typed for its column; a mismatch is refused, not queried."""
    refused = Invalid("after does not fit this list's sort; start again from the first page.",
                      field="after")
    if col is Claim.updated_at:
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise refused from None
    if isinstance(value, str) != (col.key in TEXT_SORTS):
        raise refused
    return value


def _order(filters: ClaimFilter, query: search_query.Query) -> tuple[str, object, bool]:
    """Return (sort name, column or None for rank, descending)."""
    name = filters.sort.lstrip("-")
    if name in SORTS:
        return filters.sort, SORTS[name], filters.sort.startswith("-")
    if query.include:
        return "rank", None, False
    if filters.article_id is not None:
        return "position", Claim.start, False
    return "-id", Claim.id, True


def count_capped(session: Session, statement, cap: int | None = None) -> tuple[int, bool]:
    """Count a select's rows, stopping after `cap` (COUNT_CAP); return (count, exact)."""
    cap = COUNT_CAP if cap is None else cap
    n = session.execute(sa_select(func.count()).select_from(
        statement.limit(cap + 1).subquery())).scalar_one()
    return (cap, False) if n > cap else (n, True)


def _tallied_total(session: Session, filters: ClaimFilter) -> int:
    query = select(func.coalesce(func.sum(ClaimTally.n), 0))
    if filters.states:
        query = query.where(ClaimTally.state.in_(filters.states))
    elif not filters.held_back:
        query = query.where(ClaimTally.state != review.HELD_BACK)
    if filters.verdicts:
        query = query.where(ClaimTally.verdict.in_(filters.verdicts))
    return int(session.exec(query).one())


def _base(session: Session, filters: ClaimFilter, me: User | None, *columns):
    """Return select(columns) narrowed by the filter (index joined for text searches)."""
    query = filters.parsed()
    statement = select(*columns)
    if query.include:
        statement = search.join_match(statement, search.dialect_of(session), query)
    conds = filters.conditions(session, me)
    return statement.where(*conds) if conds else statement


def _ranked_window(session: Session, filters: ClaimFilter, me: User | None,
                   query: search_query.Query, editor: bool, blinded: bool = False):
    """Return (window, select(claim_id, score)): the newest RANK_WINDOW matches, scored.

    ``blinded``: blind review hides some conclusions from this reader (issue 19). The
    window is then taken over the reader's view, and on SQLite the scores read only the
    columns the reader may search (bm25's word counts would otherwise include the hidden
    conclusions), so nothing hidden moves a row.
    """
    dialect = search.dialect_of(session)
    score = search.rank(dialect, query, with_conclusion=editor)
    inline, rare = (search.rare_words(session, query, COUNT_CAP, open_only=blinded)
                    if dialect == "sqlite" else (False, []))
    if dialect == "sqlite" and blinded:
        window = (_base(session, filters, me, Claim.id.label("claim_id"))
                  .order_by(search.match_id(dialect).desc()).limit(RANK_WINDOW)
                  .cte("window").prefix_with("MATERIALIZED"))
        since = select(func.min(window.c.claim_id)).scalar_subquery()
        scores = search.scores_since(query, rare, since, with_conclusion=False,
                                     open_only=True)
        if scores is None:
            ranked = select(window.c.claim_id, literal(0).label("score"))
        else:
            # bm25 weighs a match by its claim's whole length, hidden conclusion included:
            # a hidden claim is given no score of its own (it follows the scored ones).
            hidden = window.c.claim_id.in_(select(Claim.id).where(blind.verdict_hidden(me)))
            scores = scores.subquery("scored")
            ranked = (select(window.c.claim_id,
                             case((hidden, 0), else_=func.coalesce(scores.c.score, 0))
                             .label("score"))
                      .join(scores, scores.c.claim_id == window.c.claim_id, isouter=True))
    elif dialect == "sqlite" and inline:
        # Rare words only: bm25() scores in the window itself (it only works in the
        # query that holds the MATCH); without other conditions, from the index alone.
        plain = not filters.conditions(session, me)
        window = (search.index_window(query, score) if plain
                  else _base(session, filters, me, Claim.id.label("claim_id"),
                             score.label("score")))
        window = (window.order_by(search.match_id(dialect).desc()).limit(RANK_WINDOW)
                  .subquery("window"))
        ranked = select(window.c.claim_id, window.c.score)
    elif dialect == "sqlite":
        # A phrase or a common word: the window's ids stream from the index, and a
        # second query scores the claims from the window's oldest id on, by the rarer
        # words only.
        window = (search.index_window(query) if not filters.conditions(session, me)
                  else _base(session, filters, me, Claim.id.label("claim_id")))
        window = (window.order_by(search.match_id(dialect).desc()).limit(RANK_WINDOW)
                  .cte("window").prefix_with("MATERIALIZED"))
        since = select(func.min(window.c.claim_id)).scalar_subquery()
        scores = search.scores_since(query, rare, since, with_conclusion=editor)
        if scores is None:
            ranked = select(window.c.claim_id, literal(0).label("score"))
        else:
            scores = scores.subquery("scored")
            ranked = (select(window.c.claim_id, scores.c.score)
                      .join(scores, scores.c.claim_id == window.c.claim_id))
    else:
        # Score only the window's claims: ts_rank reads each whole tsvector.
        window = (_base(session, filters, me, Claim.id.label("claim_id"))
                  .order_by(search.match_id(dialect).desc()).limit(RANK_WINDOW)
                  .subquery("window"))
        if blinded:
            # A phrase's rank reads word positions across the whole document, hidden
            # conclusion included: a hidden claim gets no score of its own.
            hidden = window.c.claim_id.in_(select(Claim.id).where(blind.verdict_hidden(me)))
            score = case((hidden, 0), else_=score)
        ranked = (select(window.c.claim_id, score.label("score"))
                  .join(search.INDEX, search.INDEX.c.claim_id == window.c.claim_id))
    return window, ranked


def find_claims(session: Session, filters: ClaimFilter, me: User | None, *, page: int = 1,
                per_page: int = PER_PAGE, after: list | None = None) -> ClaimPage:
    """Return one page of matching claims with their articles, the total and a cursor.

    Text searches are ranked by relevance while at most COUNT_CAP claims match; beyond
    that (a word in most claims) the newest come first, which the index streams.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    query = filters.parsed()
    sort, col, desc = _order(filters, query)
    dialect = search.dialect_of(session)
    editor = me is None or review.role_at_least(me.role, review.EDITOR)
    # Blind review hides some verdicts from this reader: every sort, count, cap and rank
    # window is then computed over the reader's view, where they are NULL (issue 19).
    blinded = not editor and blind.hides_any(session, me)
    if col is Claim.verdict:
        col = blind.reader_verdict(me)
    matches = None
    cap = search.count_cap(query, COUNT_CAP, RANK_WINDOW)
    if col is None:
        if blinded:
            # The reader's matches, not the index's: a hidden conclusion counts for nothing.
            counted, exact = count_capped(session, _base(session, filters, me, Claim.id), cap)
            matches = counted if exact else cap + 1
        else:
            matches = search.count_matches(session, query, cap)
        if matches > cap:
            # Scoring needs how many claims hold each word: counting a word found in most
            # of a million claims costs more than the whole page. Newest first instead.
            sort, col, desc = "-id", Claim.id, True
    cursor = decode_cursor(after) if after and sort.lstrip("-") in KEYSET | {"position"} else None
    paged_inside = False
    if col is None:
        # Relevance among the newest RANK_WINDOW matches: the index streams them newest
        # first and only those are scored, so a word in every claim costs no more than a
        # rarer one. Another sort order reaches every match.
        window, ranked = _ranked_window(session, filters, me, query, editor, blinded)
        # Sort the window's ids and cut the page first; then read only its claims.
        ranked = (ranked.order_by(literal_column("score"), window.c.claim_id.desc())
                  .offset((page - 1) * per_page).limit(per_page + 1).subquery("ranked"))
        statement = (select(Claim, Article).join(ranked, ranked.c.claim_id == Claim.id)
                     .join(Article, Article.id == Claim.article_id)
                     .order_by(ranked.c.score, Claim.id.desc()))
        paged_inside = True
    else:
        statement = _base(session, filters, me, Claim, Article).join(
            Article, Article.id == Claim.article_id)
        if col is Claim.id and query.include:
            # The same id, read from the index the query is driven by, so no sort is needed.
            col = search.match_id(dialect)
        if cursor is not None:
            value = _cursor_value(col, cursor[0])
            before = col < value if desc else col > value
            tie = Claim.id < cursor[1] if desc else Claim.id > cursor[1]
            # A plain range first (`<=` / `>=`), so the index is entered at the cursor.
            statement = statement.where(before if col.key in ("id", "rowid", "claim_id")
                                        else and_(col <= value if desc else col >= value,
                                                  or_(before, and_(col == value, tie))))
        statement = statement.order_by(col.desc() if desc else col)
        if getattr(col, "key", None) not in ("id", "rowid", "claim_id"):
            statement = statement.order_by(Claim.id.desc() if desc else Claim.id)
    offset = 0 if cursor is not None or paged_inside else (page - 1) * per_page
    rows = list(session.exec(statement.offset(offset).limit(per_page + 1)).all())
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    if page == 1 and cursor is None and not has_next:
        total, exact = len(rows), True
    elif filters.only_tallied() and (editor or not filters.verdicts) and not query.fields:
        total, exact = _tallied_total(session, filters), True
    elif (editor and query.include and not query.exclude and not query.fields
          and filters.held_back
          and not (filters.states or filters.verdicts or filters.assignee
                   or filters.article_id is not None)):
        # Text alone: the index counts its matches without touching the claims.
        n = matches if matches is not None else search.count_matches(session, query, cap)
        total, exact = (cap, False) if n > cap else (n, True)
    else:
        # A phrase's count reads word positions: it stops at the rank window (count_cap).
        total, exact = count_capped(session, _base(session, filters, me, Claim.id),
                                    cap if query.include else None)
    next_cursor = None
    if has_next and rows and (col is not None and sort.lstrip("-") in KEYSET | {"position"}):
        last = rows[-1][0]
        key = "id" if col.key in ("rowid", "claim_id") else col.key
        next_cursor = encode_cursor([getattr(last, key), last.id])
    hidden = blind.hidden_claim_ids(session, me, [c.id for c, _ in rows])
    snippets = search.snippets(session, [c for c, _ in rows], query, hidden)
    return ClaimPage(rows=rows, total=total, total_exact=exact, page=page, per_page=per_page,
                     sort=sort, has_next=has_next, next_cursor=next_cursor, snippets=snippets)


def matching_ids(session: Session, filters: ClaimFilter, me: User | None) -> list[int]:
    """Return the ids of every claim the filter matches, in reading order."""
    query = _base(session, filters, me, Claim.id)
    return list(session.exec(query.order_by(Claim.article_id, Claim.start, Claim.id)).all())


# ---------------------------------------------------------------- activity

ACTIVITY_PAGE = 50


def article_activity(session: Session, article_id: int, limit: int = ACTIVITY_PAGE,
                     before: int | None = None) -> list[tuple[Event, User | None, Claim | None]]:
    """Return an article's newest events (older than `before`) with actors and claims."""
    query = (select(Event, User, Claim)
             .join(User, User.id == Event.actor_id, isouter=True)
             .join(Claim, Claim.id == Event.claim_id, isouter=True)
             .where(Event.article_id == article_id))
    if before is not None:
        query = query.where(Event.id < before)
    return list(session.exec(query.order_by(Event.id.desc()).limit(limit)).all())


# ---------------------------------------------------------------- articles

@dataclass
class ArticleRow:
    """What the articles index shows of one article (not its body)."""

    id: int
    title: str
    outlet: str
    published: object
    counts: dict[str, int]


def list_articles(session: Session, *, page: int = 1, per_page: int = PER_PAGE,
                  after: list | None = None) -> tuple[list[ArticleRow], int, bool, list | None]:
    """Return a page of articles, newest first, with claim counts by state.

    Returns (rows, total, total exact, next cursor). The cursor is the last id shown.
    """
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    query = select(Article.id, Article.title, Article.outlet, Article.published)
    cursor = decode_cursor(after) if after else None
    if cursor is not None:
        query = query.where(Article.id < cursor[1])
    offset = 0 if cursor is not None else (page - 1) * per_page
    found = session.exec(query.order_by(Article.id.desc()).offset(offset)
                         .limit(per_page + 1)).all()
    has_next = len(found) > per_page
    found = found[:per_page]
    counts: dict[int, dict[str, int]] = {}
    if found:
        for article_id, state, n in session.exec(
                select(Claim.article_id, Claim.state, func.count())
                .where(Claim.article_id.in_([r[0] for r in found]),
                       # Sentences the proposal budget held back were never anyone's call:
                       # they are not "dismissed" on the index.
                       not_(articles.below_budget_condition()))
                .group_by(Claim.article_id, Claim.state)).all():
            counts.setdefault(article_id, {})[state] = n
    rows = [ArticleRow(i, t, o, p, counts.get(i, {})) for i, t, o, p in found]
    if page == 1 and cursor is None and not has_next:
        total, exact = len(rows), True
    else:
        total, exact = count_capped(session, select(Article.id))
    next_cursor = encode_cursor([rows[-1].id, rows[-1].id]) if has_next else None
    return rows, total, exact, next_cursor
