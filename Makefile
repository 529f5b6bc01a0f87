# Narrative classifier: `make help` lists the verbs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXP ?= baseline
# What `make all` trains, in order, each offered to `make promote` as soon as it is trained: the
# TF-IDF baseline, the multilingual encoder model, and their ensemble (README, "What `make all` does").
ALL_EXPS ?= baseline multilingual ensemble
CORPORA ?=
IN ?= examples/articles.jsonl
OUT ?= output/example_scores.jsonl
MODEL ?= models:/narrative-classifier@champion
PORT ?= 5000
SERVE_PORT ?= 5001
SCORE_ARGS ?=
ARTICLES ?= 2000
BENCH_ARGS ?=
# `make score` without OUT writes beside, not over, the output of `make predict`.
SCORE_OUT = $(if $(filter file,$(origin OUT)),output/example_dump.jsonl,$(OUT))
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.DEFAULT_GOAL := help
.PHONY: help all setup data train promote predict example ui test test-slow clean compare score serve bench report report-demo static-model distil

help: ## List the verbs
	@grep -E '^[a-z][a-z -]*:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

all: setup data ## Set up, build the data, train and register ALL_EXPS (each offered to promote), score the examples
	@for exp in $(ALL_EXPS); do \
		$(MAKE) --no-print-directory train EXP=$$exp && $(MAKE) --no-print-directory promote || exit 1; \
	done
	$(MAKE) --no-print-directory example

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

setup: $(VENV)/.installed ## Create .venv and install the pinned dependencies

data: setup ## Build the training table (CORPORA=dir to read the corpora elsewhere; SAMPLE=1 for the project's own sample)
	$(PY) -m data.build $(if $(CORPORA),--corpora $(CORPORA)) $(if $(SAMPLE),--sample)

train: setup ## Train EXP (default baseline), log it to MLflow, register it as candidate
	@test -f build/paragraphs.parquet || $(MAKE) data
	$(PY) -m training.train --exp $(EXP)

compare: setup ## Print the MLflow runs side by side: per label, source, gold split, train time, paragraphs/s
	$(PY) -m training.compare

promote: setup ## Give the candidate the champion alias if it beats the champion
	$(PY) -m training.promote

predict example: setup ## Score IN (default: the example articles) into OUT with MODEL
	$(PY) -m scoring.predict $(IN) -o $(OUT) --model $(MODEL)

score: setup ## Score dumps IN (files/dirs; JSONL, CSV, Parquet, .txt/.html, .gz) into OUT with MODEL; SCORE_ARGS=--resume, --workers N; large dumps: MODEL=the version tagged role=dump-scorer
	$(PY) -m scoring.score $(IN) -o $(SCORE_OUT) --model $(MODEL) $(SCORE_ARGS)

serve: setup ## Serve MODEL over REST on http://127.0.0.1:$(SERVE_PORT)/invocations (paragraph texts in, probabilities out; input checked)
	MLFLOW_TRACKING_URI=$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db} \
		$(PY) -m scoring.serve --model $(MODEL) --host 127.0.0.1 --port $(SERVE_PORT)

bench: setup ## Every registered scorer side by side: 1 and N workers (bytes compared), transformer runtimes, RSS, gold F1, hours per 1M articles (ARTICLES, BENCH_ARGS)
	$(PY) -m training.bench --articles $(ARTICLES) $(BENCH_ARGS)

ui: setup ## Open the MLflow UI on the project's store (http://127.0.0.1:$(PORT)); prints the URL of the training runs
	@echo "MLflow UI, the training runs: $$($(PY) -c 'from training.tracking import ui_url; print(ui_url($(PORT)))')"
	@echo "  (MLflow 3.17 opens in its GenAI view; once \"Model training\" at the top left is chosen, this browser keeps it)"
	MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false $(VENV)/bin/mlflow ui --backend-store-uri $${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db} --host 127.0.0.1 --port $(PORT) --workers 1

test: setup ## Lint (ruff check, ruff format --check) and run the fast offline tests
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q -m "not slow"

test-slow: setup ## Run the slow tests (real corpora, full training)
	$(PY) -m pytest -q -m slow

clean: ## Remove the built table and outputs (keeps .venv and the MLflow store)
	rm -rf build output

# --- Narrative report over scored dumps -----------------------------------------------------------
SCORES ?= output/example_dump.jsonl
REPORT ?= output/report.html
REPORT_ARGS ?=
DEMO_CORPORA = $(if $(CORPORA),$(CORPORA),$(abspath ../shared/data))

report: setup ## Report over scored dumps SCORES (JSONL/Parquet) into REPORT (HTML + aggregates CSV/Parquet); REPORT_ARGS=--period week etc.
	$(PY) -m scoring.report $(SCORES) -o $(REPORT) $(REPORT_ARGS)

report-demo: setup ## Score the EUvsDisinfo claims (read from CORPORA at run time) with MODEL and report on them: output/report-demo.html
	$(PY) -m scoring.report_demo --corpora $(DEMO_CORPORA) -o output/euvsdisinfo_claims.jsonl
	@$(PY) -c "from classifier.articles import Scorer; Scorer.from_mlflow('$(MODEL)')" 2>/dev/null \
		|| (echo "report-demo: no model at $(MODEL); training the baseline champion first" && $(MAKE) train EXP=baseline CORPORA=$(CORPORA) && $(MAKE) promote)
	$(PY) -m scoring.score output/euvsdisinfo_claims.jsonl -o output/euvsdisinfo_scores.jsonl --model $(MODEL)
	$(PY) -m scoring.report output/euvsdisinfo_scores.jsonl -o output/report-demo.html --multi-sep + --min-articles 10 --languages "" \
		--title "EUvsDisinfo claims: narrative report" $(REPORT_ARGS)

STATIC ?= build/static/minilm
TEACHER ?= models:/narrative-classifier@champion
STUDENT ?= student

$(STATIC)/model.safetensors: | $(VENV)/.installed
	$(PY) -m training.distil --static --out $(STATIC)

static-model: $(STATIC)/model.safetensors ## Distil the static MiniLM embedding model (model2vec, offline, ~5 min on 2 cores) into STATIC

distil: setup $(STATIC)/model.safetensors ## Train the dump-scorer student (EXP STUDENT) on TEACHER's probabilities; registered with role=dump-scorer
	@test -f build/paragraphs.parquet || $(MAKE) data
	$(PY) -m training.train --exp $(STUDENT) --teacher $(TEACHER)
