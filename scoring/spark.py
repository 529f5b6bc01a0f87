"""``--engine spark``: score JSONL or Parquet dumps with PySpark, paragraph by paragraph.

The plan, each step a Spark stage that runs on any cluster:

1. read the inputs; number the lines (JSONL) or rows (Parquet) of each file, for stable ids and order;
2. parse each record exactly as the local reader does (``scoring.readers``), errors included;
3. explode articles into paragraphs: the pieces ``classifier.articles.score_articles`` would score
   (title, then ``classifier.text.split_paragraphs``), found by running it with a recording model, and
   spread them over two partitions per core (``scoring_partitions``);
4. score the paragraphs with ``mlflow.pyfunc.spark_udf(..., env_manager="local")``;
5. gather each article's paragraph probabilities and build its record with ``score_articles`` itself,
   replaying those probabilities, so the records are the local engine's, field for field;
6. sort by input, file and line, and write JSONL text part files or Parquet under OUTPUT (a directory).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from classifier.articles import Scorer, error_record, output_record, score_articles
from scoring.outputs import parquet_schema
from scoring.readers import MAX_LINE_BYTES, InputError, mapping_item, parse_jsonl_line
from scoring.records import RunError, Summary, json_line

KEY = ["input", "file", "row"]


def spark_format(path: str, override: str | None) -> str:
    if override in ("jsonl", "parquet"):
        return override
    if override is not None:
        raise InputError(f"--engine spark reads JSONL or Parquet, not {override}")
    local = None if "://" in path else Path(path)
    if local is not None and not local.exists():
        raise InputError(f"{path}: no such file or directory")
    names = [p.name for p in local.rglob("*") if p.is_file()] if local is not None and local.is_dir() else [path]
    for name in names:
        lowered = name.lower().removesuffix(".gz")
        if lowered.endswith((".jsonl", ".ndjson", ".json")):
            return "jsonl"
        if lowered.endswith((".parquet", ".pq")):
            return "parquet"
    raise InputError(f"{path}: --engine spark reads JSONL or Parquet; pass --format jsonl or --format parquet")


def session(master: str, conf: list[str]):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName("narrative-classifier-score")
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers: this interpreter (a venv)
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # the JVM's own sockets: loopback only
    for key, value in spark_settings(master, conf).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def spark_settings(master: str, conf: list[str]) -> dict[str, str]:
    """The session's settings: in local mode every socket (driver, block manager) binds to loopback
    and the UI is off, so that nothing listens on the machine's external addresses."""
    settings = {
        "spark.sql.execution.arrow.maxRecordsPerBatch": "2000",
        "spark.executorEnv.OMP_NUM_THREADS": "1",  # one torch/BLAS thread per task: Spark runs one task per core
        "spark.ui.showConsoleProgress": "false",
    }
    if master.startswith("local"):
        settings |= {
            "spark.sql.shuffle.partitions": "2",
            "spark.ui.enabled": "false",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
        }
    for item in conf:
        key, sep, value = item.partition("=")
        if not sep:
            raise RunError(f"--spark-conf {item!r}: expected KEY=VALUE")
        settings[key.strip()] = value
    return settings


def scoring_partitions(spark) -> int:
    """Partitions of the paragraphs to score: two per core of the cluster (Spark's default
    parallelism), so that every core scores and a slow partition does not hold the stage up alone."""
    return 2 * max(1, spark.sparkContext.defaultParallelism)


def ship_package(spark, workdir: Path) -> None:
    """Send the ``classifier`` and ``scoring`` packages to the executors (a cluster's workers do not
    have this checkout)."""
    root = Path(__file__).resolve().parents[1]
    archive = workdir / "packages.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for package in ("classifier", "scoring"):
            for path in (root / package).rglob("*.py"):
                zipped.write(path, path.relative_to(root).as_posix())
    spark.sparkContext.addPyFile(str(archive))


def read_jsonl(spark, path: str, number: int):
    """Raw lines (bytes, as in the file) with the file's name and the line number."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    lines = (
        spark.read.option("lineSep", "\n")
        .text(path)
        .select(
            F.col("value").cast("binary").alias("raw"),
            F.col("_metadata.file_path").alias("file"),
            F.col("_metadata.file_name").alias("name"),
            F.col("_metadata.file_block_start").alias("block"),
            F.monotonically_increasing_id().alias("mid"),
        )
    )
    # Line numbers: the lines of one split are consecutive in ``mid``; a file's splits follow in block
    # order, so a line's number is the lines of the file's earlier blocks plus its place in its own.
    earlier = Window.partitionBy("file").orderBy("block").rowsBetween(Window.unboundedPreceding, -1)
    blocks = (
        lines.groupBy("file", "block")
        .agg(F.count("*").alias("n"), F.min("mid").alias("first"))
        .withColumn("offset", F.coalesce(F.sum("n").over(earlier), F.lit(0)))
        .drop("n")
    )
    return lines.join(F.broadcast(blocks), ["file", "block"]).select(
        F.lit(number).alias("input"),
        "file",
        (F.col("offset") + F.col("mid") - F.col("first") + 1).alias("row"),
        "name",
        "raw",
    )


def read_parquet(spark, path: str, number: int):
    """Rows with the file's name and row number: text and title as bytes, other fields as JSON."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType, StringType

    frame = spark.read.parquet(path)
    kinds = {f.name: f.dataType for f in frame.schema.fields}
    texts = [c for c in ("text", "title") if isinstance(kinds.get(c), (StringType, BinaryType))]
    others = [c for c in ("id", "text", "title") if c in kinds and c not in texts]  # e.g. an int text: an error later
    return frame.select(
        F.lit(number).alias("input"),
        F.col("_metadata.file_path").alias("file"),
        (F.col("_metadata.row_index") + 1).alias("row"),
        F.col("_metadata.file_name").alias("name"),
        (F.to_json(F.struct(*others)) if others else F.lit("{}")).cast("binary").alias("raw"),
        *[
            (F.col(c).cast("binary") if c in texts else F.lit(None).cast("binary")).alias(f"{c}_bytes")
            for c in ("text", "title")
        ],
        F.lit("parquet").alias("kind"),
    )


def parse_batches(batches):
    """Stage 2: raw lines/rows -> the article as JSON, or the error, as the local reader gives it."""
    import pyarrow as pa

    for batch in batches:
        out = {k: [] for k in ("input", "file", "row", "article", "error")}
        for value in batch.to_pylist():
            raw, name, row = value["raw"], value["name"], value["row"]
            if value["kind"] == "parquet":
                fields = json.loads(raw)
                fields.update(
                    {key: value[f"{key}_bytes"] for key in ("text", "title") if value[f"{key}_bytes"] is not None}
                )
                item = mapping_item(fields, f"{name}:{row}", f"row {row}")
            else:
                if not raw.strip():
                    continue  # a blank line is not a record
                too_long = len(raw) if len(raw) > MAX_LINE_BYTES else 0
                item = parse_jsonl_line(raw, name, row, too_long)
            out["input"].append(value["input"])
            out["file"].append(value["file"])
            out["row"].append(row)
            out["article"].append(json.dumps(item.article if item.error is None else {"id": item.id}))
            out["error"].append(item.error)
        yield pa.RecordBatch.from_pydict(
            out,
            schema=pa.schema(
                [
                    ("input", pa.int32()),
                    ("file", pa.string()),
                    ("row", pa.int64()),
                    ("article", pa.string()),
                    ("error", pa.string()),
                ]
            ),
        )


class _Recorder:
    """A stand-in model that records the texts score_articles asks it to score."""

    def __init__(self, columns):
        self.columns = columns
        self.texts: list[str] = []

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        self.texts = frame["text"].tolist()
        return pd.DataFrame(0.0, index=frame.index, columns=self.columns)


def explode_batches(columns: list[str], thresholds: dict, name: str):
    """Stage 3: articles -> the paragraph texts score_articles scores, numbered within the article."""

    def explode(batches):
        import pyarrow as pa

        for batch in batches:
            out = {k: [] for k in ("input", "file", "row", "piece", "text")}
            for value in batch.to_pylist():
                recorder = _Recorder(columns)
                try:
                    score_articles([json.loads(value["article"])], Scorer(recorder, columns, thresholds, name))
                except Exception:  # noqa: BLE001 - the record stage reports the failure for this article
                    continue
                for piece, text in enumerate(recorder.texts):
                    for key in ("input", "file", "row"):
                        out[key].append(value[key])
                    out["piece"].append(piece)
                    out["text"].append(text)
            yield pa.RecordBatch.from_pydict(
                out,
                schema=pa.schema(
                    [
                        ("input", pa.int32()),
                        ("file", pa.string()),
                        ("row", pa.int64()),
                        ("piece", pa.int32()),
                        ("text", pa.string()),
                    ]
                ),
            )

    return explode


class _Replay:
    """A stand-in model that answers with probabilities Spark has already computed, in order."""

    def __init__(self, columns, probs):
        self.columns, self.probs = columns, probs

    def __call__(self, frame: pd.DataFrame) -> pd.DataFrame:
        if len(frame) != len(self.probs):
            raise RuntimeError(f"{len(frame)} paragraphs to score but {len(self.probs)} scored by Spark")
        return pd.DataFrame(self.probs, index=frame.index, columns=self.columns, dtype=float)


def record_batches(columns: list[str], thresholds: dict, name: str, languages: dict | None = None):
    """Stage 5: an article and its paragraph probabilities -> the output record (JSON line)."""

    def build(batches):
        import pyarrow as pa

        for batch in batches:
            out = {k: [] for k in ("input", "file", "row", "status", "line", "paragraphs", "flagged")}
            for value in batch.to_pylist():
                article = json.loads(value["article"])
                stub = Scorer(None, columns, thresholds, name)
                if value["error"] is not None:
                    record, paragraphs = output_record(error_record(article.get("id"), value["error"], stub)), 0
                else:
                    probs = [p["probs"] for p in sorted(value["probs"] or [], key=lambda p: p["piece"])]
                    try:
                        full = score_articles(
                            [article], Scorer(_Replay(columns, probs), columns, thresholds, name, languages)
                        )[0]
                    except Exception as error:  # noqa: BLE001 - as the local engine: the article fails alone
                        full = error_record(article.get("id"), f"scoring failed: {type(error).__name__}: {error}", stub)
                    record, paragraphs = output_record(full), len(full.get("paragraphs") or [])
                for key in ("input", "file", "row"):
                    out[key].append(value[key])
                out["status"].append(record.get("status"))
                out["line"].append(json_line(record).decode("utf-8").rstrip("\n"))
                out["paragraphs"].append(paragraphs)
                out["flagged"].append([label for label, flag in (record.get("flags") or {}).items() if flag])
            yield pa.RecordBatch.from_pydict(
                out,
                schema=pa.schema(
                    [("input", pa.int32()), ("file", pa.string()), ("row", pa.int64()), ("status", pa.string()), ("line", pa.string()),
                     ("paragraphs", pa.int64()), ("flagged", pa.list_(pa.string()))]
                ),
            )  # fmt: skip

    return build


def run_spark(
    inputs: list, output, model_uri: str, *, master: str = "local[2]", fmt: str | None = None, conf: list[str] = ()
):
    """Score ``inputs`` into the directory ``output``; returns (summary, summary, model name)."""
    import time

    inputs = [str(p) for p in inputs]
    output = str(output)
    formats = [spark_format(p, fmt) for p in inputs]
    try:
        scorer = Scorer.from_mlflow(model_uri)
    except Exception as error:  # noqa: BLE001
        raise RunError(f"cannot load the model {model_uri}: {type(error).__name__}: {error}") from error
    import mlflow
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"score (spark): {message} at {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    spark = session(master, list(conf))
    log(f"session on {master} started")
    try:
        with tempfile.TemporaryDirectory() as workdir:
            ship_package(spark, Path(workdir))
            columns, thresholds, name = list(scorer.columns), dict(scorer.thresholds), scorer.name
            raw = None
            for number, (path, kind) in enumerate(zip(inputs, formats)):
                if kind == "jsonl":
                    part = read_jsonl(spark, path, number).select(
                        "*",
                        F.lit(None).cast("binary").alias("text_bytes"),
                        F.lit(None).cast("binary").alias("title_bytes"),
                        F.lit("jsonl").alias("kind"),
                    )
                else:
                    part = read_parquet(spark, path, number)
                raw = part if raw is None else raw.unionByName(part)
            log("inputs planned")
            articles = raw.mapInArrow(parse_batches, "input int, file string, row long, article string, error string")
            # Paragraphs spread over every core before scoring: an input split is a file block (128 MB), so
            # a smaller dump would otherwise be scored by one task on one core.
            pieces = (
                articles.where("error is null")
                .mapInArrow(
                    explode_batches(columns, thresholds, name),
                    "input int, file string, row long, piece int, text string",
                )
                .repartition(scoring_partitions(spark))
            )
            model = mlflow.pyfunc.spark_udf(
                spark, model_uri, result_type=", ".join(f"`{c}` double" for c in columns), env_manager="local"
            )
            scored = pieces.withColumn("p", model(F.struct(F.col("text")))).select(
                *KEY,
                F.struct("piece", F.array(*[F.col("p").getField(c) for c in columns]).alias("probs")).alias("scored"),
            )
            gathered = scored.groupBy(*KEY).agg(F.collect_list("scored").alias("probs"))
            records = (
                articles.join(gathered, KEY, "left")
                .mapInArrow(
                    record_batches(columns, thresholds, name, scorer.languages),
                    "input int, file string, row long, status string, line string, paragraphs long, flagged array<string>",
                )
                .persist()  # scored once: the sort's sampling, the write and the summary all read it
            )
            if output.lower().rstrip("/").endswith((".parquet", ".pq")):
                schema = from_arrow_schema(parquet_schema(scorer))
                records.orderBy(*KEY).select(F.from_json("line", schema).alias("r")).select("r.*").write.mode(
                    "overwrite"
                ).parquet(output)
            else:
                records.orderBy(*KEY).select("line").write.mode("overwrite").option("lineSep", "\n").text(output)
            log(f"written to {output}")
            summary = Summary()
            for row in records.groupBy("status").agg(F.count("*").alias("n"), F.sum("paragraphs").alias("p")).collect():
                if row["status"] in ("ok", "empty", "error", "unsupported_language"):
                    setattr(summary, row["status"], row["n"])
                summary.read += row["n"]
                summary.paragraphs += row["p"] or 0
            summary.flagged = {c: 0 for c in columns}
            for row in records.select(F.explode("flagged").alias("label")).groupBy("label").count().collect():
                summary.flagged[row["label"]] = row["count"]
            records.unpersist()
            log("summary counted")
    finally:
        spark.stop()
    summary.seconds = time.perf_counter() - started
    return summary, summary, name
