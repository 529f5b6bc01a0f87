"""Serve a model over REST: paragraph texts in, one probability per label out (``make serve``).

    python -m scoring.serve [--model URI] [--host 127.0.0.1] [--port 5001]
        [--max-request-bytes N] [--max-rows N]

A thin app in front of the model, speaking MLflow's scoring protocol: ``POST /invocations`` with
``{"dataframe_split": {"columns": ["text"], "data": [[...], ...]}}``, ``{"dataframe_records":
[{"text": ...}, ...]}`` or ``{"inputs": ["...", ...]}`` answers ``{"predictions": [{label: p, ...}, ...]}``
in input order; ``GET /ping`` and ``/health`` answer 200 once the model is loaded.

Input is checked before the model sees it: JSON only, at most ``--max-request-bytes`` bytes (413 beyond)
and ``--max-rows`` rows; every text a string without NUL, at most ``MAX_TEXT_CHARS`` characters (400 with
the row otherwise). The answer is strict JSON: a score that is not a number is ``null``, never ``NaN``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from classifier.articles import MAX_TEXT_CHARS, Scorer
from classifier.store import DEFAULT_MODEL_URI

MAX_REQUEST_BYTES = 8 << 20
MAX_ROWS = 1000


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def texts_of(payload, max_rows: int = MAX_ROWS) -> list[str]:
    """The texts of a request body (already parsed JSON); raises BadRequest with the reason."""
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    if "dataframe_split" in payload:
        split = payload["dataframe_split"]
        if not isinstance(split, dict) or not isinstance(split.get("columns"), list):
            raise BadRequest("dataframe_split needs 'columns' and 'data'")
        if "text" not in split["columns"]:
            raise BadRequest("dataframe_split has no 'text' column")
        column = split["columns"].index("text")
        data = split.get("data")
        if not isinstance(data, list) or not all(isinstance(row, list) and len(row) > column for row in data):
            raise BadRequest("dataframe_split 'data' must be a list of rows holding the 'text' column")
        texts = [row[column] for row in data]
    elif "dataframe_records" in payload:
        rows = payload["dataframe_records"]
        if not isinstance(rows, list) or not all(isinstance(row, dict) and "text" in row for row in rows):
            raise BadRequest("dataframe_records must be a list of objects with a 'text' field")
        texts = [row["text"] for row in rows]
    elif "inputs" in payload:
        texts = payload["inputs"]
        if not isinstance(texts, list):
            raise BadRequest("'inputs' must be a list of texts")
    else:
        raise BadRequest("expected dataframe_split, dataframe_records or inputs")
    if len(texts) > max_rows:
        raise BadRequest(f"{len(texts):,} rows; the limit is {max_rows:,} a request", status=413)
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise BadRequest(f"row {row}: 'text' must be a string, got {type(text).__name__}")
        if "\x00" in text:
            raise BadRequest(f"row {row}: 'text' contains NUL")
        if len(text) > MAX_TEXT_CHARS:
            raise BadRequest(f"row {row}: 'text' has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    return texts


def predictions(scorer: Scorer, texts: list[str]) -> list[dict]:
    import pandas as pd

    if not texts:
        return []
    frame = scorer.predict_frame(pd.DataFrame({"text": texts}))
    return [{column: _number(value) for column, value in row.items()} for row in frame.to_dict(orient="records")]


def _number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def make_app(scorer: Scorer, max_request_bytes: int = MAX_REQUEST_BYTES, max_rows: int = MAX_ROWS):
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def answer(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body, allow_nan=False), status_code=status, media_type="application/json")

    def refuse(message: str, status: int) -> Response:
        return answer({"error_code": "BAD_REQUEST", "message": message}, status)

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_request_bytes):
            raise BadRequest(f"the body is over {max_request_bytes:,} bytes", status=413)
        body = bytearray()
        async for part in request.stream():
            body += part
            if len(body) > max_request_bytes:
                raise BadRequest(f"the body is over {max_request_bytes:,} bytes", status=413)
        return bytes(body)

    async def invocations(request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return refuse("Content-Type must be application/json", 415)
        try:
            body = await read_body(request)
            try:
                payload = json.loads(body)
            except (ValueError, RecursionError) as error:
                raise BadRequest(f"the body is not valid JSON: {error}") from None
            texts = texts_of(payload, max_rows)
        except BadRequest as error:
            return refuse(str(error), error.status)
        return answer({"predictions": await run_in_threadpool(predictions, scorer, texts)})

    async def ping(request: Request) -> Response:
        return Response("\n", media_type="text/plain")

    async def version(request: Request) -> Response:
        return answer({"model": scorer.name})

    routes = [
        Route("/invocations", invocations, methods=["POST"]),
        Route("/ping", ping, methods=["GET"]),
        Route("/health", ping, methods=["GET"]),
        Route("/version", version, methods=["GET"]),
    ]
    return Starlette(routes=routes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL_URI, help=f"MLflow model URI (default {DEFAULT_MODEL_URI})")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback only)")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--max-request-bytes", type=int, default=MAX_REQUEST_BYTES)
    parser.add_argument("--max-rows", type=int, default=MAX_ROWS)
    args = parser.parse_args(argv)
    import uvicorn

    from scoring.records import RunError
    from scoring.score import load_scorer

    try:
        scorer = load_scorer(args.model, "serve")
    except RunError as error:
        print(f"serve: {error}", file=sys.stderr)
        return 2
    app = make_app(scorer, args.max_request_bytes, args.max_rows)
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
