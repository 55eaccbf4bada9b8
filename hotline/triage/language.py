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
        self._has_bigrams = any(" " in word for word in self._weights)

    @property
    def words(self) -> frozenset[str]:
        return frozenset(w for words in self._markers.values() for w in words)

    def guess(self, tokens: Sequence[Token]) -> str:
        score: dict[str, float] = dict.fromkeys(self._markers, 0.0)
        weights = self._weights
        previous = ""
        for token in tokens:
            for lang, weight in weights.get(token.text, ()):
                score[lang] += weight
            if self._has_bigrams and previous:
                for lang, weight in weights.get(f"{previous} {token.text}", ()):
                    score[lang] += weight
            previous = token.text
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
