"""Save and load fitted estimators without pickle: scikit-learn parts go through skops."""

from __future__ import annotations

from pathlib import Path

import skops.io as sio

# Types outside scikit-learn / numpy that skops asks about. Everything else it flags is refused.
_TRUSTED_PREFIXES = ("classifier.", "sklearn.", "numpy.", "scipy.", "builtins.")


def save_skops(model, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)
    return path


def load_skops(path: Path):
    """Load a skops file, trusting only this package's and scikit-learn's own types."""
    untrusted = sio.get_untrusted_types(file=path)
    refused = [name for name in untrusted if not name.startswith(_TRUSTED_PREFIXES)]
    if refused:
        raise ValueError(f"{path} holds types this package does not trust: {refused}")
    return sio.load(path, trusted=untrusted)
