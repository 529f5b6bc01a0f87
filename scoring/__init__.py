"""The article scoring application: readers, records, outputs and checkpoints, the local and Spark
engines, progress, and the ``score`` and ``predict`` commands. Built on the ``classifier`` library."""
