"""Training entry points and experiment plumbing: the only code that reads experiments/ and writes MLflow."""
