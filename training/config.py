"""Typed, frozen experiment configs, loaded strictly from ``experiments/<name>.yaml``.

Unknown keys and wrong types are errors. Write YAML floats with a dot (``2.0e-5``): PyYAML reads
``2e-5`` as a string, which this loader rejects.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from classifier.models.registry import model_defaults
from classifier.store import REPO_ROOT

EXPERIMENTS_DIR = REPO_ROOT / "experiments"


LABEL_SOURCES = ("read", "mapped")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class DataConfig:
    table: str = "build/paragraphs.parquet"
    gold: str = "build/gold.parquet"
    sources: tuple[str, ...] = ()  # empty: every source in the table
    languages: tuple[str, ...] = ()  # empty: every language
    weak_weight: float = 0.5  # sample weight of weakly labelled rows (article-level or untagged labels)
    gold_weight: float = 1.0  # sample weight of gold (annotated) training rows
    reported: bool = False  # also train the *_reported outputs
    labels: str = "read"  # "read": the paragraphs read against the guidelines; "mapped": the corpora's proxies
    counterfactual: int = 0  # reporting frames added per read-voiced training claim (training.augment); 0: none
    counterfactual_headlines: int = 0  # headline frames added per headline-length read-voiced claim; 0: none
    counterfactual_weight: float = 0.3  # sample weight of the counterfactual rows
    # sample weight of the read training paragraphs that are topic-matched hard negatives (they voice and
    # report neither framing but share the framings' subjects: training.metrics.hard_negatives)
    hard_negative_weight: float = 1.0
    # a student (--teacher): on training rows with a read label, the target is this share of the label plus
    # the rest of the teacher's probability; 0: the teacher's probability alone (training.distil)
    read_label_mix: float = 0.0


@dataclass(frozen=True)
class ModelConfig:
    kind: str = "tfidf_logreg"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    description: str = ""
    seed: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    calibration: str = "sigmoid"  # "sigmoid", "isotonic" or "none"
    min_precision: float = 0.0  # threshold rule: best dev F1 among thresholds with at least this precision
    register: bool = True
    teacher: str = ""  # a model URI or registered version: fit on its probabilities (training.distil)


def load_config(name_or_path: str) -> ExperimentConfig:
    path = Path(name_or_path)
    if not path.suffix:
        path = EXPERIMENTS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml")))
        raise ConfigError(f"no experiment {name_or_path!r} ({path}); known: {known}")
    raw = yaml.safe_load(path.read_text()) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    raw.setdefault("name", path.stem)
    if raw["name"] != path.stem:
        raise ConfigError(f"{path}: name {raw['name']!r} must match the file name {path.stem!r}")
    return parse_config(raw, where=str(path))


def parse_config(raw: dict, where: str = "config") -> ExperimentConfig:
    config = _build(ExperimentConfig, raw, where)
    _check_choice(config.calibration, ("sigmoid", "isotonic", "none"), f"{where}: calibration")
    if not 0.0 <= config.min_precision < 1.0:
        raise ConfigError(f"{where}: min_precision must be in [0, 1)")
    if config.data.weak_weight < 0 or config.data.gold_weight < 0:
        raise ConfigError(f"{where}: data.weak_weight and data.gold_weight must be >= 0")
    _check_choice(config.data.labels, LABEL_SOURCES, f"{where}: data.labels")
    if not 0.0 <= config.data.read_label_mix <= 1.0:
        raise ConfigError(f"{where}: data.read_label_mix must be in [0, 1]")
    data = config.data
    if min(data.counterfactual, data.counterfactual_headlines, data.counterfactual_weight) < 0:
        raise ConfigError(
            f"{where}: data.counterfactual, data.counterfactual_headlines and data.counterfactual_weight must be >= 0"
        )
    if data.hard_negative_weight < 0:
        raise ConfigError(f"{where}: data.hard_negative_weight must be >= 0")
    if data.hard_negative_weight != 1.0 and data.labels != "read":
        raise ConfigError(f"{where}: data.hard_negative_weight needs data.labels: read (hard negatives are read rows)")
    if (data.counterfactual or data.counterfactual_headlines) and data.labels != "read":
        raise ConfigError(f"{where}: data.counterfactual needs data.labels: read (pairs are built from read claims)")
    try:
        defaults = model_defaults(config.model.kind)
    except ValueError as error:
        raise ConfigError(f"{where}: model.kind: {error}") from None
    for key, value in config.model.params.items():
        if key not in defaults:
            raise ConfigError(
                f"{where}: model.params: unknown key {key!r} for {config.model.kind}; known: {sorted(defaults)}"
            )
        _check_param(key, value, defaults[key], where)
    check_ranges(config, where)
    return config


# model.params whose values must be > 0, >= 0, or in [0, 1): any kind that has the key.
_POSITIVE = {"word_ngram_max", "char_ngram_min", "char_ngram_max", "max_features", "min_df", "C", "max_iter",
             "max_length", "batch_size", "eval_batch_size", "epochs", "learning_rate", "pos_weight_max", "weight_step"}  # fmt: skip
_NON_NEGATIVE = {"stride", "max_steps", "weight_decay", "max_train_rows", "eval_every", "patience", "dev_max_rows",
                 "threads", "random_state"}  # fmt: skip
_FRACTION = {"warmup_ratio"}


def check_ranges(config: ExperimentConfig, where: str) -> None:
    """Values in range, before any run starts: each error names the key and the file."""
    if config.seed < 0:
        raise ConfigError(f"{where}: seed must be >= 0, got {config.seed}")
    params = config.model.params
    for key, value in params.items():
        at = f"{where}: model.params.{key}"
        if key in _POSITIVE | _NON_NEGATIVE | _FRACTION:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{at}: expected a number, got {value!r}")
            if key in _POSITIVE and not value > 0:
                raise ConfigError(f"{at}: must be > 0, got {value}")
            if key in _NON_NEGATIVE and value < 0:
                raise ConfigError(f"{at}: must be >= 0, got {value}")
            if key in _FRACTION and not 0 <= value < 1:
                raise ConfigError(f"{at}: must be in [0, 1), got {value}")
    if params.get("weight_step", 0) > 1:
        raise ConfigError(f"{where}: model.params.weight_step: must be at most 1, got {params['weight_step']}")
    merged = {**model_defaults(config.model.kind), **params}
    low, high = merged.get("char_ngram_min"), merged.get("char_ngram_max")
    if low is not None and high is not None and low > high:
        raise ConfigError(f"{where}: model.params: char_ngram_min ({low}) is above char_ngram_max ({high})")
    stride, length = merged.get("stride"), merged.get("max_length")
    if stride is not None and length is not None and stride >= length:
        raise ConfigError(f"{where}: model.params: stride ({stride}) must be below max_length ({length})")
    members = params.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise ConfigError(f"{where}: model.params.members: expected a list of experiment names, got {members!r}")
    weights = params.get("weights", [])
    if weights != "dev" and not (
        isinstance(weights, list)
        and all(isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in weights)
    ):
        raise ConfigError(f"{where}: model.params.weights: expected 'dev' or a list of numbers >= 0, got {weights!r}")


def _build(cls, raw, where: str):
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping for {cls.__name__}, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(raw) - names
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(names)}")
    values = {key: _coerce(hints[key], value, f"{where}: {key}") for key, value in raw.items()}
    try:
        return cls(**values)
    except TypeError as error:
        raise ConfigError(f"{where}: {error}") from None


def _coerce(hint, value, where: str):
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return tuple(value)
    if origin is dict or hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if origin in (typing.Union, types.UnionType):
        allowed = typing.get_args(hint)
        if value is None and type(None) in allowed:
            return None
        hint = next(a for a in allowed if a is not type(None))
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, float, bool) and (type(value) is not hint):
        raise ConfigError(f"{where}: expected {hint.__name__}, got {type(value).__name__} {value!r}")
    return value


def _check_param(key: str, value, default, where: str) -> None:
    if default is None or isinstance(default, (list, tuple)):
        return
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return
    if type(value) is not type(default):
        raise ConfigError(
            f"{where}: model.params.{key}: expected {type(default).__name__}, got {type(value).__name__} {value!r}"
        )


def _check_choice(value: str, choices: tuple[str, ...], where: str) -> None:
    if value not in choices:
        raise ConfigError(f"{where}: {value!r} is not one of {choices}")


def flat_params(config: ExperimentConfig) -> dict[str, str]:
    """The config as flat ``section.key`` strings, for MLflow params."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value) -> None:
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(f"{prefix}{f.name}.", getattr(value, f.name))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}{key}.", item)
        else:
            flat[prefix.rstrip(".")] = ",".join(value) if isinstance(value, tuple) else str(value)

    walk("", config)
    return flat
