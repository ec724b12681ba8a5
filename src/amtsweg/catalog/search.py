"""Catalogue search that forgives the way people type.

An in-memory index of the ~4,800 Leistungen, held per process and rebuilt when the catalogue
changes. It matches folded tokens (ä → ae, ß → ss) exactly, by prefix ("Geburtsurk"), inside
compounds ("urkunde" in "Geburtsurkunde"), with one or two typos ("Wohngled") and through
everyday synonyms ("Perso", "Kfz", "Hund anmelden"). The same engine runs on SQLite and on
PostgreSQL, so results do not depend on the database; see docs/search.md for the scoring.
The word matching itself lives in amtsweg.core.fuzzy, shared with the place search.
"""

import csv
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from amtsweg.core.fuzzy import Vocabulary
from amtsweg.core.text import fold, tokens

DATA_DIR = Path(__file__).resolve().parent / "data"

SYNONYM = 0.95  # a synonym names what the person means, just below their own word
OZG_FIELD = 0.4  # a hit in the OZG-Leistung name counts less than one in the Leistung's own
RECHECK_SECONDS = 5.0
MAX_QUERY_TERMS = 8
MAX_QUERY_CHARS = 200


@dataclass(frozen=True, slots=True)
class Hit:
    leistung_id: int
    leika_key: str
    name: str
    ozg_id: int | None
    score: float


@dataclass(frozen=True, slots=True)
class _Doc:
    leistung_id: int
    leika_key: str
    name: str
    folded: str
    ozg_id: int | None
    length: int


def _load_synonyms() -> dict[tuple[str, ...], tuple[str, ...]]:
    with open(DATA_DIR / "synonyme.csv", encoding="utf-8", newline="") as fh:
        return {
            tuple(tokens(row["term"])): tuple(tokens(row["expansions"]))
            for row in csv.DictReader(fh)
        }


class SearchIndex:
    def __init__(self, rows: list[tuple[int, str, str, int | None, str]]) -> None:
        """rows: (id, leika_key, name, ozg_id, ozg_name)."""
        self.docs: list[_Doc] = []
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        for idx, (pk, key, name, ozg_id, ozg_name) in enumerate(rows):
            name_tokens = tokens(name)
            self.docs.append(_Doc(pk, key, name, fold(name), ozg_id, len(name_tokens)))
            for tok in tokens(ozg_name or ""):
                postings[tok][idx] = OZG_FIELD
            for tok in name_tokens:
                postings[tok][idx] = 1.0
        # per token: the documents it occurs in and the weight of the field it occurs in
        self.postings = {
            t: (np.fromiter(d.keys(), dtype=np.int32, count=len(d)),
                np.fromiter(d.values(), dtype=np.float32, count=len(d)))
            for t, d in postings.items()
        }
        self.vocabulary = Vocabulary(self.postings)
        n = max(len(self.docs), 1)
        idf = {t: 1.0 + math.log(n / (1 + len(p[0]))) for t, p in self.postings.items()}
        max_idf = max(idf.values(), default=1.0)
        self.rarity = {t: v / max_idf for t, v in idf.items()}
        self.length_bonus = np.array([0.05 / d.length if d.length else 0.0 for d in self.docs],
                                     dtype=np.float32)
        self.synonyms = _load_synonyms()
        self.leistungen: dict = {}
        self._expand = self.vocabulary.expand

    # -- query side ---------------------------------------------------------------------

    def _terms(self, query: str) -> list[dict[str, tuple[float, bool]]]:
        """Each query word becomes a term: the vocabulary it may match, synonyms included."""
        words = tokens(query[:MAX_QUERY_CHARS])[:MAX_QUERY_TERMS]
        terms: list[dict[str, tuple[float, bool]]] = []
        i = 0
        while i < len(words):
            for size in (3, 2, 1):
                phrase = tuple(words[i:i + size])
                if len(phrase) == size and phrase in self.synonyms:
                    break
            else:
                size, phrase = 1, (words[i],)
            # token -> (weight, rarity counts): a word's own matches weigh rare tokens more;
            # a synonym's matches count as meant, in the order the synonym list gives
            matches: dict[str, tuple[float, bool]] = {}
            for word in phrase:
                matches.update((t, (w, True)) for t, w in self._expand(word).items())
            for rank, synonym in enumerate(self.synonyms.get(phrase, ())):
                factor = SYNONYM * (1.0 - 0.02 * rank)
                for t, weight in self._expand(synonym).items():
                    if weight * factor > matches.get(t, (0.0, True))[0]:
                        matches[t] = (weight * factor, False)
            terms.append(matches)
            i += size
        return terms

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Rank documents: first by how many query words they match, then by how well.

        score = 0.6 · share of words matched + 0.3 · mean match quality
                + 0.05 if the name starts with the query + 0.05 / words in the name
        """
        terms = self._terms(query)
        if not terms or limit < 1:
            return []
        n_docs = len(self.docs)
        quality = np.zeros(n_docs, dtype=np.float32)
        covered = np.zeros(n_docs, dtype=np.float32)
        for matches in terms:
            best = np.zeros(n_docs, dtype=np.float32)
            for tok, (weight, rarity) in matches.items():
                docs, fields = self.postings[tok]
                factor = weight * (0.8 + 0.2 * (self.rarity[tok] if rarity else 1.0))
                best[docs] = np.maximum(best[docs], fields * factor)
            quality += best
            covered += best > 0
        n_terms = len(terms)
        score = covered * (0.6 / n_terms) + quality * (0.3 / n_terms) + self.length_bonus
        candidates = np.flatnonzero(covered)
        if candidates.size == 0:
            return []
        if candidates.size > limit:
            # only documents within reach of the top `limit` after the prefix bonus
            kth = np.partition(score[candidates], -limit)[-limit]
            candidates = candidates[score[candidates] >= kth - 0.0501]
        folded_query = " ".join(tokens(query))
        ranked = []
        for i in candidates.tolist():
            doc = self.docs[i]
            bonus = 0.05 if doc.folded.startswith(folded_query) else 0.0
            ranked.append((-(float(score[i]) + bonus), doc.length, doc.leika_key, doc))
        ranked.sort(key=lambda t: t[:3])
        return [Hit(d.leistung_id, d.leika_key, d.name, d.ozg_id, round(min(-neg, 1.0), 4))
                for neg, _, _, d in ranked[:limit]]


_lock = threading.Lock()
_index: SearchIndex | None = None
_stamp: int | None = None
_checked_at = 0.0


def _catalog_stamp() -> int:
    from amtsweg.core.models import DataVersion

    return DataVersion.current("catalog")


def invalidate() -> None:
    """Drop this process's index; other processes notice the change within seconds."""
    global _index, _stamp
    with _lock:
        _index = None
        _stamp = None


def get_index() -> SearchIndex:
    global _index, _stamp, _checked_at
    now = time.monotonic()
    if _index is not None and now - _checked_at < RECHECK_SECONDS:
        return _index
    with _lock:
        stamp = _catalog_stamp()
        _checked_at = now
        if _index is None or stamp != _stamp:
            from .models import Leistung

            rows = list(
                Leistung.objects.order_by("leika_key").values_list(
                    "id", "leika_key", "name", "ozg__ozg_id", "ozg__name"
                )
            )
            _index, _stamp = SearchIndex(rows), stamp
        return _index


def search(query: str, limit: int = 10) -> list[Hit]:
    return get_index().search(query, limit)


def leistung(leika_key: str):
    """The Leistung with this key, from a per-index cache (the API asks for the same few)."""
    index = get_index()
    cache = index.leistungen
    if leika_key not in cache:
        from .models import Leistung

        obj = Leistung.objects.filter(leika_key=leika_key).first()
        if len(cache) >= 10_000:
            cache.clear()
        cache[leika_key] = obj
    return cache[leika_key]
