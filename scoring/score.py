"""Score article dumps at scale: streaming, one output record per input record, resumable.

    python -m scoring.score INPUT... -o OUTPUT [--model URI] [--batch-size N] [--resume]
        [--format jsonl|csv|parquet|dir] [--engine local|spark] [--spark-master URL] [--workers N]

Inputs: JSONL, CSV, Parquet, a .txt/.html file or a directory of them, any of them gzip-compressed;
the format comes from the extension unless --format names it (see ``scoring.readers``).
Output: JSONL, or Parquet when OUTPUT ends in .parquet (a directory of part files). One record per
input record, in input order: the record ``classifier.articles.output_record`` gives: ``score_articles``'s
record without its bulky ``paragraphs`` list; ``evidence`` keeps the paragraphs behind the verdicts,
each with a ``snippet`` of its text.

Resume: the output is written in order, chunk by chunk, and a checkpoint beside it (JSONL:
``OUTPUT.checkpoint``; Parquet: ``OUTPUT/_checkpoint.json``) records how many input records are done
and where the output ended, after an fsync. ``--resume`` cuts the output back to the checkpoint and
skips that many input records, so a run killed at any point ends like one never interrupted.

Before the model loads or the output is opened, the input is checked: a missing input, an unknown
format, or first records that are all errors of one kind (``--stop-after-errors``, default 1,000:
e.g. a dump whose lines hold ``body`` instead of ``text``) stop the run with one line saying what
was found. A model URI that does not load is answered with the registered models, aliases and
versions the store holds. Errors are one line; ``--debug`` shows the traceback.

Exit status: 0 every record scored (ok, empty or unsupported_language), 1 some records are errors,
2 the run could not proceed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

from classifier.articles import Scorer
from classifier.store import DEFAULT_MODEL_URI
from classifier.threads import machine_cores
from scoring.checks import EARLY_STOP_RECORDS, check_first_records, first_line, model_choices, one_line_errors
from scoring.local import run
from scoring.outputs import prepare
from scoring.readers import FORMATS, InputError, Limits, Source
from scoring.records import RunError, Summary


def format_summary(output: Path, total: Summary, this_run: Summary, model: str) -> str:
    seconds = max(this_run.seconds, 1e-9)
    lines = [
        f"{output}: {total.read:,} records read, {total.ok:,} ok, {total.empty:,} empty, {total.error:,} error"
        + (f", {total.unsupported_language:,} in unsupported languages" if total.unsupported_language else "")
        + f" ({model})",
        "  flagged: " + (", ".join(f"{label} {count:,}" for label, count in total.flagged.items()) or "none"),
        (
            f"  this run: {this_run.read:,} records in {this_run.seconds:.1f} s "
            f"({this_run.read / seconds:,.0f} articles/s, {this_run.paragraphs / seconds:,.0f} paragraphs/s)"
        ),
    ]
    if total.read != this_run.read:
        lines.append(f"  whole output: {total.seconds:.1f} s of scoring over all runs")
    return "\n".join(lines)


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(
        prog="python -m scoring.score", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="JSONL, CSV, Parquet, .txt/.html file or directory (.gz too)"
    )
    parser.add_argument("-o", "--output", required=True, help="OUTPUT.jsonl, or OUTPUT.parquet (a directory of parts)")
    parser.add_argument("--model", default=DEFAULT_MODEL_URI, help=f"MLflow model URI (default {DEFAULT_MODEL_URI})")
    parser.add_argument("--batch-size", type=int, default=256, help="articles per chunk (default 256)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    parser.add_argument("--format", choices=FORMATS, help="input format, instead of guessing from the extension")
    parser.add_argument("--engine", choices=("local", "spark"), default="local", help="local (streaming) or spark")
    parser.add_argument("--spark-master", default="local[2]", help="Spark master URL (default local[2])")
    parser.add_argument(
        "--spark-conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark setting (repeatable)"
    )
    parser.add_argument(
        "--log-every", type=float, default=30.0, help="seconds between log lines when stderr is not a terminal"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=machine_cores(),
        help=f"local engine: processes scoring chunks in parallel, output identical to one (default: the cores, {machine_cores()})",
    )
    parser.add_argument("--summary-json", type=Path, help="also write the summary as JSON here")
    parser.add_argument(
        "--max-records", type=_positive, metavar="N", help="stop (exit 2) after N records; --resume goes on later"
    )
    parser.add_argument(
        "--max-bytes", type=_positive, metavar="N", help="stop (exit 2) once N bytes of (uncompressed) input are read"
    )
    parser.add_argument(
        "--stop-after-errors",
        type=_non_negative,
        default=EARLY_STOP_RECORDS,
        metavar="N",
        help=f"stop before scoring when the first N records are all errors of one kind (default {EARLY_STOP_RECORDS:,}; 0: never)",
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    parser.add_argument(
        "--follow-outside-links",
        action="store_true",
        help="read symlinks in input directories that point outside them (by default: error records)",
    )
    return parser.parse_args(argv)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return number


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or a positive integer, got {value}")
    return number


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return one_line_errors("score", _main, args)


def _main(args) -> int:
    try:
        if args.engine == "spark":
            from scoring.spark import run_spark

            if args.resume:
                raise RunError(
                    "--resume is for the local engine; Spark retries failed tasks and commits its output whole"
                )
            total, this_run, model = run_spark(
                args.inputs, args.output, args.model, master=args.spark_master, fmt=args.format, conf=args.spark_conf
            )
        else:
            inputs, output = [Path(p) for p in args.inputs], Path(args.output)
            # every run-level failure shows before the model loads or the output is opened
            check_first_records(Source(inputs, args.format), args.stop_after_errors)
            prepared = prepare(output, args.resume)
            try:
                scorer = load_scorer(args.model)
            except BaseException:
                prepared.lock.release()
                raise
            total, this_run = run(
                inputs,
                output,
                scorer,
                batch_size=args.batch_size,
                resume=args.resume,
                fmt=args.format,
                log_every=args.log_every,
                limits=Limits(args.max_records, args.max_bytes),
                outside_links=args.follow_outside_links,
                prepared=prepared,
                workers=args.workers,
            )
            model = scorer.name
    except (RunError, InputError) as error:
        print(f"score: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the output or its checkpoint failed while the run was writing
        print(f"score: cannot write {error.filename or args.output}: {error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("score: interrupted; run again with --resume to continue", file=sys.stderr)
        return 2
    print(format_summary(args.output, total, this_run, model))
    if args.summary_json:
        args.summary_json.write_text(
            json.dumps({"output": str(args.output), "model": model, "total": asdict(total), "run": asdict(this_run)})
        )
    return 1 if total.error else 0


def load_scorer(uri: str, command: str = "score", log=None) -> Scorer:
    """The model at ``uri``, saying on ``log`` (stderr) that it loads and, once loaded, in how long."""
    log = sys.stderr if log is None else log
    log.write(f"{command}: loading the model {uri} ...\n")
    log.flush()
    started = time.perf_counter()
    try:
        scorer = Scorer.from_mlflow(uri)
    except Exception as error:  # noqa: BLE001 - any failure to load is the run's, reported plainly
        raise RunError(f"cannot load the model {uri}: {first_line(error)}{model_choices(uri)}") from error
    log.write(f"{command}: loaded {scorer.name} in {time.perf_counter() - started:.1f} s\n")
    log.flush()
    return scorer


if __name__ == "__main__":
    sys.exit(main())
