"""Forgiving word matching shared by the catalogue search and the place search.

A `Vocabulary` holds the folded words of an index (see `amtsweg.core.text.tokens`) and tells,
for a word a person typed, which of its words that may mean and how sure that is: the word
itself, a word it begins ("Geburtsurk"), a word it sits in ("urkunde" in "Geburtsurkunde"),
or a word one or two typos away ("Wohngled", "Hombreg"). Callers score documents with these
weights; see docs/search.md.
"""

import bisect
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

EXACT, PREFIX, INFIX, TYPO = 1.0, 0.85, 0.55, 0.7


class Vocabulary:
    def __init__(self, words: Iterable[str]) -> None:
        self.words = sorted(set(words))
        self.known = frozenset(self.words)
        self.joined = "\n" + "\n".join(self.words) + "\n"
        self.by_length: dict[int, list[str]] = defaultdict(list)
        self.by_initial: dict[str, list[str]] = defaultdict(list)
        for t in self.words:
            self.by_length[len(t)].append(t)
            self.by_initial[t[0]].append(t)
        self.expand = lru_cache(maxsize=8192)(self._expand)

    def _expand(self, token: str) -> dict[str, float]:
        """Vocabulary words that a typed (folded) word may mean, with how sure that is."""
        found: dict[str, float] = {}
        if token in self.known:
            found[token] = EXACT
        if len(token) >= 2:
            start = bisect.bisect_left(self.words, token)
            for t in self.words[start:]:
                if not t.startswith(token):
                    break
                if t != token:
                    found.setdefault(t, PREFIX + 0.1 * len(token) / len(t))
        if len(token) >= 4:
            pos = self.joined.find(token)
            while pos != -1:
                begin = self.joined.rfind("\n", 0, pos) + 1
                end = self.joined.find("\n", pos)
                t = self.joined[begin:end]
                found.setdefault(t, INFIX + 0.1 * len(token) / len(t))
                pos = self.joined.find(token, end)
        if len(token) >= 4:
            # OSA distance ≤ k needs lengths within k: only those words are compared
            max_typos = 1 if len(token) < 8 else 2
            candidates = [t for n in range(len(token) - max_typos, len(token) + max_typos + 1)
                          for t in self.by_length.get(n, ())]
            for t, dist, _ in process.extract(
                token, candidates, scorer=OSA.distance, score_cutoff=max_typos, limit=None
            ):
                if dist:
                    found.setdefault(t, TYPO - 0.1 * dist)
            if len(token) >= 6:
                # a typo in a word that is still being typed: "Geburtsurkn" → "geburtsurkunde";
                # people rarely mistype the first letter
                words = self.by_initial.get(token[0], [])
                heads = [t[:len(token)] for t in words]
                for _, dist, i in process.extract(
                    token, heads, scorer=OSA.distance, score_cutoff=1, limit=None
                ):
                    if dist:
                        found.setdefault(words[i], TYPO - 0.15)
        return found
