"""Language identification from marker words: fr | en | pcm (Cameroonian Pidgin) | mixed (Camfranglais, fr+en)."""

from __future__ import annotations

from collections.abc import Sequence

from hotline.triage.knowledge import LanguageProfile
from hotline.triage.normalise import Token


class LanguageGuesser:
    def __init__(self, profile: LanguageProfile) -> None:
        self._markers = {lang: dict(words) for lang, words in profile.markers.items()}
        self._default = profile.default
        weights: dict[str, list[tuple[str, float]]] = {}
        for lang, words in profile.markers.items():
            for word, weight in words.items():
                weights.setdefault(word, []).append((lang, weight))
        self._weights = {word: tuple(pairs) for word, pairs in weights.items()}
        # two-word markers by their first word: "no get" → {"no": {"get": ...}}
        self._bigrams: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {}
        for word, pairs in self._weights.items():
            if " " in word:
                first, second = word.split(" ", 1)
                self._bigrams.setdefault(first, {})[second] = pairs

    @property
    def words(self) -> frozenset[str]:
        return frozenset(w for words in self._markers.values() for w in words)

    def guess(self, tokens: Sequence[Token]) -> str:
        return self.guess_texts([t.text for t in tokens])

    def guess_texts(self, texts: Sequence[str]) -> str:
        """The language of a text given its normalised words."""
        score: dict[str, float] = dict.fromkeys(self._markers, 0.0)
        weights = self._weights
        bigrams = self._bigrams
        previous = ""
        for text, pairs in zip(texts, map(weights.get, texts), strict=True):
            if pairs is not None:
                for lang, weight in pairs:
                    score[lang] += weight
            if previous in bigrams:
                pairs = bigrams[previous].get(text)
                if pairs is not None:
                    for lang, weight in pairs:
                        score[lang] += weight
            previous = text
        fr, en = score.get("fr", 0.0), score.get("en", 0.0)
        pcm, camfranglais = score.get("pcm", 0.0), score.get("camfranglais", 0.0)
        if fr + en + pcm < 1.0:
            return self._default
        if pcm >= 3.0 and pcm >= 0.5 * en and pcm >= fr:
            return "pcm"
        if fr >= en:
            if camfranglais >= 2.0 or (en >= 3.0 and en >= 0.3 * fr):
                return "mixed"
            return "fr"
        if fr >= 3.0 and fr >= 0.3 * en:
            return "mixed"
        return "en"
