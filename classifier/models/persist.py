"""Save and load fitted estimators without pickle: scikit-learn parts go through skops."""

from __future__ import annotations

from pathlib import Path

import skops.io as sio

# The exact types the project's skops files hold beyond those skops trusts by itself (scikit-learn
# estimators, numpy arrays and scalars, builtin containers). A file carrying any other type (a
# function such as builtins.exec, numpy.vectorize, operator.methodcaller, ...) is refused unread.
TRUSTED_TYPES = frozenset(
    {
        "classifier.calibration.Calibrated",
        "classifier.models.embeddings.EmbeddingLogReg",
        "classifier.models.multilingual.MultilingualLogReg",
        "classifier.models.tfidf.CompactTfidfVectorizer",
        "classifier.models.tfidf.TfidfLogReg",
    }
)


def save_skops(model, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)
    return path


def load_skops(path: Path):
    """Load a skops file holding only skops's default types and ``TRUSTED_TYPES``; refuse any other."""
    untrusted = sio.get_untrusted_types(file=path)
    refused = sorted(name for name in untrusted if name not in TRUSTED_TYPES)
    if refused:
        raise ValueError(f"{path} holds types this package does not trust: {refused}")
    return sio.load(path, trusted=untrusted)
