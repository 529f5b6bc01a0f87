"""Corpus loaders, label mapping, grouped splits and the build of the training table."""
