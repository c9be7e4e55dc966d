"""Re-anchoring claims after the article body changed."""

from annotator.extract import reanchor

BODY = (
    "Kazakhs are rallying for rights and reforms. Hundreds of demonstrators have been "
    "detained or jailed in the past three months. At least six male activists have been "
    "summoned to army-recruitment offices. Authorities have refused to comment."
)
QUOTE = "At least six male activists have been summoned to army-recruitment offices."


def anchor_of(body, quote):
    start = body.index(quote)
    return (
        start,
        start + len(quote),
        body[max(0, start - 32) : start],
        body[start + len(quote) : start + len(quote) + 32],
    )


def test_it_finds_the_quote_where_it_was():
    start, end, prefix, suffix = anchor_of(BODY, QUOTE)
    assert reanchor(BODY, QUOTE, prefix, suffix, start) == (start, end)


def test_it_follows_the_quote_when_text_is_inserted_before_it():
    start, _, prefix, suffix = anchor_of(BODY, QUOTE)
    edited = "UPDATE: this story was updated on June 7. " + BODY
    found = reanchor(edited, QUOTE, prefix, suffix, start)
    assert found is not None
    assert edited[found[0] : found[1]] == QUOTE


def test_it_picks_the_occurrence_whose_context_matches():
    body = "Police said: no comment. Officials said: no comment. Police said again."
    quote = "no comment."
    start = body.index("no comment.", 20)
    prefix, suffix = body[max(0, start - 32) : start], body[start + 11 : start + 43]
    assert reanchor("Intro. " + body, quote, prefix, suffix, None) == (start + 7, start + 18)


def test_it_finds_a_slightly_edited_sentence():
    start, _, prefix, suffix = anchor_of(BODY, QUOTE)
    edited = BODY.replace(
        "At least six male activists have been", "At least seven male activists had been"
    )
    found = reanchor(edited, QUOTE, prefix, suffix, start)
    assert found is not None
    assert edited[found[0] : found[1]].startswith("At least seven male activists")
    assert edited[found[0] : found[1]].endswith("offices.")


def test_it_finds_an_edited_sentence_without_usable_context():
    start, _, _, _ = anchor_of(BODY, QUOTE)
    edited = "New lead paragraph. " + BODY.replace("army-recruitment", "army recruitment")
    found = reanchor(edited, QUOTE, "", "", start)
    assert found is not None
    assert edited[found[0] : found[1]] == QUOTE.replace("army-recruitment", "army recruitment")


def test_it_orphans_a_claim_whose_sentence_was_deleted():
    start, _, prefix, suffix = anchor_of(BODY, QUOTE)
    edited = BODY.replace(QUOTE + " ", "")
    assert reanchor(edited, QUOTE, prefix, suffix, start) is None


def test_it_orphans_an_empty_quote():
    assert reanchor(BODY, "", "", "", 0) is None
