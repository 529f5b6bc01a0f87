"""Estimators with the scikit-learn interface: ``fit(texts, Y)`` and ``predict_proba(texts)``.

``Y`` is a float array (n_samples, n_targets) holding 1, 0 or NaN (the row says nothing about that
target); ``predict_proba`` returns one probability column per target, in the order of ``targets``.
"""
