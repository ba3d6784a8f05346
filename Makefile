# backprop-lab: the two commands of the README, and a few more.
#   make report   set up .venv (pinned), then run the whole pipeline -> reports/
#   make test     set up .venv (pinned), then run every test and the reproduction check
#                 against the committed reference (what CI runs)
PYTHON ?= python3
CORES ?= 4
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: report test check reference bench lock clean

report: $(INSTALLED)
	$(BIN)/snakemake --cores $(CORES)

test: $(INSTALLED)
	bash tests/browser/install_chromium.sh
	$(BIN)/pytest
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools
	$(BIN)/snakefmt --check Snakefile workflow/
	$(BIN)/snakemake --cores $(CORES) reproduce

# Regenerate the metrics from scratch and compare them with the committed reference.
check: $(INSTALLED)
	$(BIN)/snakemake --cores $(CORES) reproduce

# Make the committed reference (reports/reference/) anew: a run from scratch with the
# pinned kernels, and the same run under three other kernel sets (the perturbation
# ensemble that classes every value). After a deliberate change of the science; commit it.
reference: $(INSTALLED)
	$(BIN)/python -m backprop_lab.cli reference --cores $(CORES)

# The benchmark: reports/benchmark.md, then the report again with it as an appendix.
# One thread per process, as the pipeline's jobs run (threads: 1).
bench: $(INSTALLED)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONPATH=tools:src $(BIN)/python -m bench --cold 0,400
	$(BIN)/snakemake --cores $(CORES) --forcerun report

# The environment: created once, reinstalled when the lock or the package changes.
$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Refresh the lock from the current environment (after adding a dependency on purpose).
lock:
	{ echo "# Pinned versions for make report / make test. Regenerate with: make lock"; \
	  $(BIN)/python -m pip freeze --all --exclude-editable | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > requirements.lock
	$(BIN)/python tools/sync_environment.py

clean:
	rm -rf results logs benchmarks .snakemake
