"""Claim matching on CheckThat! 2022 Task 2A (English): MAP@5 and MRR on dev, BM25 floor too.

Loads the shared Snopes feed through `annotator import-factchecks` into a fresh SQLite
database, trains the re-ranker on the training queries only, and queries the dev set through
services.matching.matches_for_text, the function the API and the panel use.

Tiers (issue 20): both of the model's cuts are calibrated on the TRAINING queries only: the
floor (`threshold`: below it nothing is shown) keeps 95 % of the training queries' right best
matches; `same_threshold` is the lowest score at which a training query's best match, when it
shares a name, number or key term, is right 95 % of the time. On dev it reports the `same`
tier's precision of the top match, the share of queries (each has a known fact-check) whose
top match is `same`, and MAP@5 over both tiers; and, as the desk's usual case, how often a
dev query whose fact-check is taken out of the archive still gets a `same` top match.

    .venv/bin/python bench/matching.py            # train, evaluate, print the figures
    .venv/bin/python bench/matching.py --save     # ... and ship the weights it learned
    .venv/bin/python bench/matching.py --feedback sqlite:///instance/annotator.db
                                                  # ... with the desk's reviewed pairs too
    .venv/bin/python bench/matching.py --url postgresql+psycopg://postgres@127.0.0.1:5432/EMPTY \
        --desk 100000                             # the shipped model on PostgreSQL, timed
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "claim-matching"
sys.path.insert(0, str(ROOT))

from annotator import matching  # noqa: E402
from annotator.matching import features as feature_module  # noqa: E402
from annotator.matching import model as model_module  # noqa: E402
from annotator.matching import train as trainer  # noqa: E402
from annotator.matching.features import NAMES, Query  # noqa: E402

DATE_FEATURES = {"date_close", "date_far", "date_offset"}


def read_queries() -> dict[str, str]:
    out = {}
    for line in (DATA / "CT2022-Task2A-EN-Train-Dev_Queries.tsv").read_text().splitlines():
        qid, _, body = line.partition("\t")
        if qid and qid != "id":
            out[qid] = body
    return out


def read_qrels(name: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in (DATA / name).read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[3].strip() == "1":
            out.setdefault(parts[0], set()).add(parts[2])
    return out


def average_precision(ranked: list[str], relevant: set[str], k: int = 5) -> float:
    hits, total = 0, 0.0
    for i, ident in enumerate(ranked[:k], start=1):
        if ident in relevant:
            hits += 1
            total += hits / i
    return total / min(len(relevant), k) if relevant else 0.0


def reciprocal_rank(ranked: list[str], relevant: set[str]) -> float:
    return next((1.0 / i for i, ident in enumerate(ranked, start=1) if ident in relevant), 0.0)


def evaluate(rankings: dict[str, list[str]], qrels: dict[str, set[str]]) -> tuple[float, float]:
    ap = [average_precision(rankings.get(q, []), rel) for q, rel in qrels.items()]
    rr = [reciprocal_rank(rankings.get(q, []), rel) for q, rel in qrels.items()]
    return sum(ap) / len(ap), sum(rr) / len(rr)


def bm25_floor(session, body: str, identifiers: dict[int, str], k: int = 40) -> list[str]:
    """Plain BM25 over claim, title and summary: the raw query's words, equal field weights."""
    words = sorted({w for w in matching.text.words(body) if w.isalnum()})
    if not words:
        return []
    query = " OR ".join(f'"{w}"' for w in words)
    rows = session.exec(text(
        "SELECT c.kind, c.ref_id FROM matchcandidate_fts f JOIN matchcandidate c "
        "ON c.id = f.rowid WHERE matchcandidate_fts MATCH :q ORDER BY bm25(matchcandidate_fts) "
        "LIMIT :k").bindparams(q=query, k=k)).all()
    return [identifiers[ref] for kind, ref in rows if kind == "external"]


def build_idf(session) -> dict:
    """Count the fact-checks' stems (those in 2+ documents) and use them from now on."""
    import math
    from collections import Counter

    from annotator.matching.text import content_stems

    df: Counter = Counter()
    docs = session.exec(text("SELECT claim, title, summary FROM matchcandidate")).all()
    for claim, title, summary in docs:
        df.update(set(content_stems(f"{claim} {title} {summary}")))
    n = len(docs)
    table = {s: round(math.log(1 + n / c), 2) for s, c in sorted(df.items()) if c >= 2}
    unseen = round(math.log(1 + n), 2)
    feature_module.idf_table = lambda: (table, unseen)
    print(f"idf: {len(table)} stems from {n} fact-checks")
    return {"documents": n, "unseen": unseen, "idf": table}


def load_feed() -> None:
    """Load the Snopes feed through `annotator import-factchecks` into DATABASE_URL."""
    from annotator.cli import main as cli

    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["import-factchecks",
                                      str(DATA / "snopes-factchecks.claimreview.json")])
    assert result.exit_code == 0, result.output
    print(result.output.strip(), f"({time.perf_counter() - started:.1f} s)")


def rank_queries(session, queries: dict[str, str], qrels: dict[str, set[str]]
                 ) -> tuple[dict[str, list[str]], list[float]]:
    """Match each query as the API does; return the fact-checks found and sorted latencies."""
    from annotator.services import matching as service

    found, latencies = {}, []
    for qid in qrels:
        t0 = time.perf_counter()
        matches = service.matches_for_text(session, queries[qid], limit=5, threshold=0.0)
        latencies.append(time.perf_counter() - t0)
        found[qid] = [m.factcheck.identifier for m in matches if m.factcheck is not None]
    return found, sorted(latencies)


def time_at_scale(session, engine, count: int, queries: dict[str, str],
                  qrels: dict[str, set[str]]) -> None:
    """Add `count` synthetic desk claims (words drawn from the feed), time matching, and
    measure dev MAP@5 again with them among the candidates."""
    import random

    from annotator.matching.text import words

    rng = random.Random(14)
    pool = [w for (claim,) in session.exec(text("SELECT claim FROM matchcandidate")).all()
            for w in words(claim)]
    started = time.perf_counter()
    with engine.begin() as conn:
        for start in range(0, count, 10_000):
            conn.execute(text(
                "INSERT INTO matchcandidate (kind, ref_id, claim, title, summary, claimant) "
                "VALUES ('desk', :ref, :claim, :title, '', '')"),
                [{"ref": 10_000_000 + i, "claim": " ".join(rng.choices(pool, k=rng.randint(8, 25))),
                  "title": " ".join(rng.choices(pool, k=rng.randint(4, 10)))}
                 for i in range(start, min(start + 10_000, count))])
    print(f"added {count} synthetic desk claims in {time.perf_counter() - started:.0f} s")
    session.close()
    found, latencies = rank_queries(session, queries, qrels)
    print(f"median match time with {count} desk claims + the feed: "
          f"{latencies[len(latencies) // 2] * 1000:.1f} ms "
          f"(90th percentile {latencies[int(len(latencies) * 0.9)] * 1000:.1f} ms)")
    print(f"dev MAP@5 with them among the candidates: {evaluate(found, qrels)[0]:.3f}")


def tiered_run(session, queries: dict[str, str], qrels: dict[str, set[str]],
               by_identifier: dict[str, list[int]]) -> dict[str, float]:
    """Match each dev query as the API does (floor and tiers) and report the tier figures."""
    from annotator.services import matching as service

    tops, aps, withheld = [], [], []
    for qid, relevant in qrels.items():
        matches = service.matches_for_text(session, queries[qid], limit=5)
        ranked = [m.factcheck.identifier for m in matches if m.factcheck is not None]
        aps.append(average_precision(ranked, relevant))
        if matches:
            tops.append((matches[0].tier, matches[0].factcheck.identifier in relevant))
        else:
            tops.append((None, False))
        # The desk's usual case: the claim was never checked. Take its fact-check out.
        out = {("external", ref) for ident in relevant for ref in by_identifier.get(ident, [])}
        rest = service.matches_for_text(session, queries[qid], limit=1, exclude=out)
        withheld.append(bool(rest) and rest[0].tier == "same")
    same = [right for tier, right in tops if tier == "same"]
    figures = {
        "same_precision_at_1": sum(same) / max(len(same), 1),
        "same_top_share": len(same) / len(tops),
        "same_top_right_share": sum(same) / len(tops),
        "shown_share": sum(1 for tier, _ in tops if tier) / len(tops),
        "map_at_5_both_tiers": sum(aps) / len(aps),
        "withheld_false_same": sum(withheld) / len(withheld),
    }
    print(f"tiers on dev ({len(tops)} queries, each with a known fact-check):")
    print(f"  same tier, precision of the top match:      {figures['same_precision_at_1']:.3f}"
          f"  (target >= 0.95)")
    print(f"  share whose top match is same:              {figures['same_top_share']:.3f}"
          f"  (target >= 0.85; same and right: {figures['same_top_right_share']:.3f})")
    print(f"  MAP@5 over both tiers (what is shown):      {figures['map_at_5_both_tiers']:.3f}"
          f"  (target >= 0.93; anything shown: {figures['shown_share']:.3f})")
    print(f"  fact-check taken out, top match still same: {figures['withheld_false_same']:.3f}"
          f"  (wrongly 'same' when the claim was never checked)")
    wyoming = ("Only Wyoming voted more Republican than West Virginia in the 2020 "
               "presidential election")
    found = service.matches_for_text(session, wyoming, limit=3)
    print("  Wyoming/West Virginia query: " + ("; ".join(
        f"{m.tier} {m.score:.2f} {m.factcheck.identifier}" for m in found) or "nothing"))
    return figures


def calibrate_tiers(learned, rows, labels, groups, evidence) -> tuple[float, float]:
    """Return (floor, same threshold), both from the training queries only.

    Per training query (the copies without its fact-check or date aside), its best-scored
    candidate: the floor keeps 95 % of those that are right; the same threshold is the
    lowest score at which those sharing evidence with the query are right 95 % of the time.
    """
    rights, decisions = [], []
    for start, end, real in groups:
        if start == end or not real:
            continue
        score, i = max((learned.probability(rows[i]), i) for i in range(start, end))
        if labels[i]:
            rights.append(score)
        if evidence[i]:
            decisions.append((score, labels[i]))
    rights.sort(reverse=True)
    floor = rights[int(len(rights) * 0.95)] if rights else 0.5
    same = trainer.calibrate([d[0] for d in decisions], [d[1] for d in decisions],
                             precision=0.95)
    return float(floor), max(float(same), float(floor))


def feedback_rows(url: str) -> tuple[list[list[float]], list[int]]:
    """Return the feature rows and labels of a desk's reviewed pairs (services.matching.feedback):
    "same claim as" links are positives, "not the same claim" rejections negatives."""
    from annotator.db import get_engine, new_session
    from annotator.services import matching as service

    session = new_session(get_engine(url))
    rows, labels = [], []
    for example in service.feedback(session):
        rows += model_module.feature_rows(example.query, [example.candidate])
        labels.append(example.label)
    session.close()
    print(f"feedback from {url}: {len(labels)} reviewed pairs, "
          f"{len(labels) - sum(labels)} rejected")
    return rows, labels


def shipped_run(url: str, desk: int) -> None:
    """Evaluate the shipped model on another database (e.g. PostgreSQL): dev MAP@5, timing."""
    os.environ["DATABASE_URL"] = url
    from annotator.db import get_engine, new_session

    load_feed()
    session = new_session(get_engine(url))
    queries, dev_qrels = read_queries(), read_qrels("CT2022-Task2A-EN-Dev_QRELs.tsv")
    ours, latencies = rank_queries(session, queries, dev_qrels)
    print(f"shipped model on {get_engine(url).dialect.name}: dev MAP@5 "
          f"{evaluate(ours, dev_qrels)[0]:.3f}; median match time "
          f"{latencies[len(latencies) // 2] * 1000:.1f} ms (the feed alone)")
    by_identifier: dict[str, list[int]] = {}
    for ref, ident in session.exec(text("SELECT id, identifier FROM externalfactcheck")).all():
        by_identifier.setdefault(ident, []).append(ref)
    tiered_run(session, queries, dev_qrels, by_identifier)
    if desk:
        time_at_scale(session, get_engine(url), desk, queries, dev_qrels)
    session.close()
    get_engine(url).dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true",
                        help="write the trained weights to annotator/matching/weights.json")
    parser.add_argument("--desk", type=int, default=0, metavar="N",
                        help="then add N synthetic approved desk claims and time matching again")
    parser.add_argument("--url", help="an empty database (e.g. PostgreSQL) to evaluate the "
                                      "shipped model on, instead of training on SQLite")
    parser.add_argument("--feedback", metavar="DATABASE_URL",
                        help="a desk's database: its reviewed pairs join the training")
    args = parser.parse_args()
    extra_rows, extra_labels = feedback_rows(args.feedback) if args.feedback else ([], [])
    if args.url:
        shipped_run(args.url, args.desk)
        return
    folder = Path(tempfile.mkdtemp(prefix="annotator-matching-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    os.environ["DATABASE_URL"] = url
    os.environ["ANNOTATOR_INSTANCE"] = str(folder / "instance")

    from annotator.db import get_engine, new_session
    from annotator.services import matching as service

    load_feed()
    session = new_session(get_engine(url))
    identifiers = dict(session.exec(text("SELECT id, identifier FROM externalfactcheck")).all())
    idf = build_idf(session)
    queries = read_queries()
    train_qrels = read_qrels("CT2022-Task2A-EN-Train_QRELs.tsv")
    dev_qrels = read_qrels("CT2022-Task2A-EN-Dev_QRELs.tsv")

    # Train on the training queries only: every retrieved candidate is one example.
    rows, labels, groups, evidence = [], [], [], []
    for qid, relevant in train_qrels.items():
        # The feed is all external: one group (the desk's index is empty here).
        candidates = service.retrieve_groups(session, queries[qid])[0]
        vectors = model_module.feature_rows(Query(queries[qid]), candidates)
        marks = [int(identifiers.get(c.ref_id) in relevant) for c in candidates]
        query = Query(queries[qid])
        shares = [bool(feature_module.shared_evidence(query, c)) for c in candidates]
        # The same query as if its fact-check were not in the archive: every query here has
        # one, but at the desk most claims have none, and the best of what remains is noise.
        missing = [c for c, mark in zip(candidates, marks, strict=True) if not mark]
        for vs, ms, ev, real in (
                (vectors, marks, shares, True),
                (model_module.feature_rows(Query(queries[qid]), missing), [0] * len(missing),
                 [s for s, mark in zip(shares, marks, strict=True) if not mark], False)):
            # Again without the date a tweet's signature gives: a desk's claim often has
            # none, and the model must not take a missing date for a mismatch.
            undated = [[0.0 if name in DATE_FEATURES else x
                        for name, x in zip(NAMES, v, strict=True)] for v in vs]
            for group, dated in ((vs, True), (undated, False)):
                rows += group
                labels += ms
                evidence += ev
                groups.append((len(rows) - len(group), len(rows), real and dated))
    # A desk's reviewed pairs (--feedback): a rejection is one more negative, a link a
    # positive. They are no training query of their own, so they calibrate nothing.
    rows += extra_rows
    labels += extra_labels
    evidence += [False] * len(extra_rows)
    learned = trainer.train(rows, labels)
    # The threshold: per training query (and its copy without the fact-check in the
    # archive), whether showing its best-scored candidate would be right.
    tops, rights = [], []
    for start, end, _real in groups:
        if start == end:
            continue
        scored = [(learned.probability(rows[i]), labels[i]) for i in range(start, end)]
        score, right = max(scored)
        tops.append(score)
        rights.append(right)
    # Shown only where, on those decisions, the best match shown is right 4 times in 5.
    threshold = trainer.calibrate(tops, rights, precision=0.8)
    for cut in sorted({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, round(threshold, 3)}):
        shown = [r for t, r in zip(tops, rights, strict=True) if t >= cut]
        print(f"  threshold {cut:.3f}: shows {len(shown)}/{len(tops)} queries' best match, "
              f"right {sum(shown) / max(len(shown), 1):.3f}, finds "
              f"{sum(shown) / max(sum(rights), 1):.3f} of the right ones")
    floor, same = calibrate_tiers(learned, rows, labels, groups, evidence)
    print(f"  old single threshold (right 4 times in 5, desk-like mix): {threshold:.3f}")
    learned = model_module.Model(learned.weights, floor, same)
    print(f"trained on {len(train_qrels)} queries, {len(rows)} pairs, "
          f"{sum(labels)} positive; floor {learned.threshold:.3f}, "
          f"same {learned.same_threshold:.3f}")
    model_module.load_model.cache_clear()
    original = model_module.load_model
    model_module.load_model = lambda: learned  # evaluate exactly what --save would ship
    matching.load_model = model_module.load_model
    try:
        ours, latencies = rank_queries(session, queries, dev_qrels)
        floor = {qid: bm25_floor(session, queries[qid], identifiers)[:5] for qid in dev_qrels}
        map_ours, mrr_ours = evaluate(ours, dev_qrels)
        map_floor, mrr_floor = evaluate(floor, dev_qrels)
        latencies.sort()
        print(f"dev queries: {len(dev_qrels)}")
        print(f"plain BM25 (floor):    MAP@5 {map_floor:.3f}  MRR@5 {mrr_floor:.3f}")
        print(f"BM25 + re-ranker:      MAP@5 {map_ours:.3f}  MRR@5 {mrr_ours:.3f}")
        print(f"median match time: {latencies[len(latencies) // 2] * 1000:.1f} ms "
              f"(15k candidates, SQLite)")
        by_identifier: dict[str, list[int]] = {}
        for ref, ident in identifiers.items():
            by_identifier.setdefault(ident, []).append(ref)
        tiers = tiered_run(session, queries, dev_qrels, by_identifier)
        if args.desk:
            time_at_scale(session, get_engine(url), args.desk, queries, dev_qrels)
    finally:
        model_module.load_model = original
        matching.load_model = original
    if args.save:
        model_module.WEIGHTS.write_text(learned.as_json(
            trained_on="CheckThat! 2022 Task 2A English train queries (bench/matching.py)",
            dev_map_at_5=round(map_ours, 4), dev_mrr=round(mrr_ours, 4),
            dev_bm25_map_at_5=round(map_floor, 4),
            dev_tiers={k: round(v, 4) for k, v in tiers.items()}))
        feature_module.IDF_FILE.write_text(json.dumps(idf, separators=(",", ":")) + "\n")
        print(f"saved {model_module.WEIGHTS} and {feature_module.IDF_FILE}")
    session.close()
    get_engine(url).dispose()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
