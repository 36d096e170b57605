"""Finding sessions by what was said in them: the sidebar filter, the resume picker,
`sessions list --search`. Titles and ids match as text; messages through the index."""

from __future__ import annotations

from chatcli.session.store import Store
from chatcli.session.summary import SessionSummary
from chatcli.store.search_index import SearchIndex


def find_sessions(
    store: Store,
    index: SearchIndex,
    text: str,
    *,
    limit: int | None = None,
    as_typed: bool = False,
) -> list[SessionSummary]:
    """Sessions newest first whose title or id holds `text`, or with a message that
    matches it (`as_typed`: its last word is a prefix, for a filter that follows typing)."""
    summaries = sorted(store.summaries(), key=lambda s: s.updated, reverse=True)
    needle = text.strip().casefold()
    if not needle:
        return summaries[:limit] if limit is not None else summaries
    said = index.session_ids(text, prefix_last=as_typed)
    found = [
        s
        for s in summaries
        if s.id in said or needle in s.title.casefold() or needle in s.id.casefold()
    ]
    return found[:limit] if limit is not None else found
