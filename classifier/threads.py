"""How many cores and threads this process may use: one answer for the local engine's workers, the
benchmarks and the encoders' thread pools."""

from __future__ import annotations

import os


def machine_cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def omp_threads() -> int | None:
    """``OMP_NUM_THREADS`` when it is set to a positive number (a local engine worker gets the cores
    divided by the workers, a Spark executor task 1), else None."""
    given = os.environ.get("OMP_NUM_THREADS", "")
    return int(given) if given.isdigit() and int(given) > 0 else None
