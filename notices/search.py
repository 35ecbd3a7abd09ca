"""Search that works in Chinese, on SQLite and PostgreSQL alike.

Text is cut into terms: every CJK character and every pair of neighbouring
CJK characters (bigrams), and every latin word or number. A notice's terms go
into ``NoticeTerm``; a query is cut the same way (pairs only, when it has
them) and a notice matches when it has *all* the query's terms. Ranking
adds up the weights (title terms weigh more). Every step is an indexed
equality lookup, so it behaves the same on both databases and needs no
full-text engine.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from .models import NoticeTerm

TITLE_WEIGHT = 3
MAX_TERM = 32
MAX_QUERY_TERMS = 12

# CJK ideographs (basic, extension A, compatibility) and the latin/digit words.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[0-9a-z]+")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _is_cjk(run: str) -> bool:
    return bool(re.match(rf"[{_CJK}]", run))


def terms_of(text: str) -> Counter:
    """Every term of a text, with how often it occurs (for indexing)."""
    counts: Counter = Counter()
    for run in _RUN.findall(_normalise(text)):
        if _is_cjk(run):
            counts.update(run)
            counts.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            counts[run[:MAX_TERM]] += 1
    return counts


def query_terms(query: str) -> list[str]:
    """The terms a notice must all have to match ``query``.

    A Chinese run of two or more characters gives its pairs (which imply its
    characters); a single character is looked up alone.
    """
    terms: list[str] = []
    for run in _RUN.findall(_normalise(query)):
        if _is_cjk(run):
            if len(run) == 1:
                terms.append(run)
            else:
                terms.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            terms.append(run[:MAX_TERM])
    return list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]


def index_notice(notice) -> int:
    """Replace the notice's terms with those of its live title and body."""

    weights: Counter = Counter()
    for term, n in terms_of(notice.title).items():
        weights[term] += n * TITLE_WEIGHT
    for term, n in terms_of(notice.body_text()).items():
        weights[term] += n
    with transaction.atomic():
        NoticeTerm.objects.filter(notice_id=notice.pk).delete()
        NoticeTerm.objects.bulk_create(
            [NoticeTerm(notice_id=notice.pk, term=t, weight=min(w, 32000))
             for t, w in weights.items()],
            batch_size=500,
        )
    return len(weights)


def unindex_notice(notice) -> None:
    NoticeTerm.objects.filter(notice_id=notice.pk).delete()


def search_notices(notices: QuerySet, query: str) -> QuerySet:
    """Filter ``notices`` (already limited to what the person may see) by ``query``,
    best match first. An empty or term-less query matches nothing."""

    terms = query_terms(query)
    if not terms:
        return notices.none()
    matching = (
        NoticeTerm.objects.filter(term__in=terms)
        .values("notice_id")
        .annotate(hits=Count("term"))
        .filter(hits=len(terms))
        .values("notice_id")
    )
    rank = Subquery(
        NoticeTerm.objects.filter(notice_id=OuterRef("pk"), term__in=terms)
        .values("notice_id")
        .annotate(total=Sum("weight"))
        .values("total")[:1]
    )
    return (
        notices.filter(pk__in=matching)
        .annotate(rank=rank)
        .order_by("-rank", "-first_published_at", "-pk")
    )
