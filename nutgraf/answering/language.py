"""The language a reader asks in, so the answer can come back in it.

Retrieval and the reading tasks work in English, the language of the articles; a question
in another language is translated into English by the model first, and the answer's words
translated back, while citations stay the article's own sentences.
"""

from __future__ import annotations

import re
import threading

ENGLISH = "en"
LANGUAGES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "pl": "Polish", "cs": "Czech", "hu": "Hungarian",
    "uk": "Ukrainian", "ru": "Russian", "ro": "Romanian", "el": "Greek", "sv": "Swedish",
    "da": "Danish", "fi": "Finnish", "tr": "Turkish", "zh": "Chinese", "ja": "Japanese",
    "ar": "Arabic",
}
# Log-probability by which another language must beat English. Short English questions full
# of names ("Who is Volodymyr Zelensky?") score within about 1 of some other language; real
# questions in another language, even of four words, win by 7 or more.
NON_ENGLISH_MARGIN = 5.0
# Words no other language near English writes this way ("wie" and "was" are German and
# Dutch questions too, "is" Dutch, "will" German), and words that two at a time are English.
ENGLISH_ONLY = {"what", "who", "whom", "whose", "why", "how", "where", "which", "did", "does", "the"}
ENGLISH_COMMON = {"is", "are", "was", "were", "of", "has", "have", "about", "will", "should", "could", "would",
                  "in", "on", "to", "a", "an"}

_identifier = None
_lock = threading.Lock()


def detect(text: str) -> str:
    """The ISO 639-1 code of the language ``text`` is in; English unless clearly another."""
    if text.isascii() and (len(text.split()) < 3 or _plainly_english(text)):
        return ENGLISH  # "Why?", "And Putin?", "Who did ...": no need to load the identifier
    ranking = dict(_language_identifier().rank(text))
    best = max(ranking, key=ranking.get)
    return best if ranking[best] - ranking[ENGLISH] >= NON_ENGLISH_MARGIN else ENGLISH


def _plainly_english(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return bool(words & ENGLISH_ONLY) or len(words & ENGLISH_COMMON) >= 2


def name(code: str) -> str:
    return LANGUAGES.get(code, code)


def _language_identifier():
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
            _identifier.set_languages(list(LANGUAGES))
        return _identifier
