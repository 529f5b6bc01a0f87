"""The language of an article: given by the input, or detected offline.

Detection uses ``lingua-language-detector`` (Apache-2.0; its models ship inside the wheel, nothing is
downloaded), restricted to the languages of the training table (``LANGUAGES``) so that it is fast and
does not answer with a language the model has never seen. A text with fewer than ``MIN_LETTERS``
letters, or too mixed to tell, gives ``None``. The detector is built once, on first use, in lingua's low-accuracy mode (trigram models
only): it loads in a fraction of a second instead of several, and articles are long enough for it.

Whether a model is measured on a language is the model's own declaration (``languages`` in its
metadata, written at training time by ``training.languages``); ``supported`` reads it.
"""

from __future__ import annotations

from functools import lru_cache

# ISO 639-1 codes of the languages in the training table.
LANGUAGES = ("en", "de", "fr", "it", "pl", "ru", "bg", "pt", "hi", "es")
DETECT_CHARS = 2_000  # detection reads the title and the start of the text, up to this many characters
MIN_LETTERS = 40  # fewer letters than this (about a short sentence): too little to tell a language by


@lru_cache(maxsize=1)
def _detector():
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect(text: str) -> str | None:
    """The ISO 639-1 code of the text's language among ``LANGUAGES``, or None when it cannot tell."""
    sample = (text or "").strip()[:DETECT_CHARS]
    if sum(c.isalpha() for c in sample) < MIN_LETTERS:
        return None
    found = _detector().detect_language_of(sample)
    return found.iso_code_639_1.name.lower() if found is not None else None


def normalise(code) -> str | None:
    """A given language tag as a lower-case primary subtag (``"EN-gb"`` -> ``"en"``), or None."""
    if not isinstance(code, str) or not code.strip():
        return None
    return code.strip().replace("_", "-").split("-")[0].lower()


def supported(languages: dict | None, code: str | None) -> bool | None:
    """Whether the model declares ``code`` supported; None when the model declares no languages or the
    language is not known (a text too short to tell is not called unsupported)."""
    if not languages or code is None:
        return None
    entry = languages.get(code or "")
    return bool(entry and entry.get("supported"))
