# Quick start: `make demo` (main job) and `make test`. Both create .venv first.
PY := .venv/bin/python
SETUP_STAMP := .venv/.mmada-setup-done

.PHONY: setup demo test test-fast coverage bench bench-gpu benchmark clean-data

$(SETUP_STAMP): pyproject.toml tools/setup_env.sh
	bash tools/setup_env.sh

setup: $(SETUP_STAMP)

demo: $(SETUP_STAMP)
	$(PY) tools/demo.py

# Every test (CI runs this), on two workers; the 15 slowest are listed at the end.
test: $(SETUP_STAMP)
	$(PY) -m pytest tests -q -n 2 --dist worksteal --durations=15

# The in-process tier for everyday work (no tool launches, no trainings through a Runner).
test-fast: $(SETUP_STAMP)
	$(PY) -m pytest tests -q -n 2 --dist worksteal -m "not e2e" --durations=15

# Line coverage of mmada/ over the whole suite (tool runs included).
coverage: $(SETUP_STAMP)
	$(PY) -m pytest tests -q -n 2 --dist worksteal --cov --cov-report=term:skip-covered

# The six per-step benchmarks, each writing its section of docs/benchmarks.md (the other
# scripts of tools/benchmarks/ are run by the command at the top of their section).
bench: $(SETUP_STAMP)
	$(PY) tools/benchmarks/two_domain_overhead.py --out docs/benchmarks.md
	$(PY) tools/benchmarks/adversarial_overhead.py --out docs/benchmarks.md
	$(PY) tools/benchmarks/acquisition.py --out docs/benchmarks.md
	$(PY) tools/benchmarks/ripu_selection.py --out docs/benchmarks.md
	$(PY) tools/benchmarks/global_topn_memory.py --out docs/benchmarks.md
	$(PY) tools/benchmarks/label_store.py --out docs/benchmarks.md

# Training steps at the papers' settings on a CUDA device (a CPU smoke run without one).
bench-gpu: $(SETUP_STAMP)
	$(PY) tools/benchmarks/gpu.py --out docs/benchmarks.md

# Every method and baseline x 3 seeds on the hard synthetic target: the
# results table and figure in docs/results_synthetic.md (goal: at most 90 min on 2 cores).
benchmark: $(SETUP_STAMP)
	$(PY) tools/benchmarks/results_synthetic.py --preset hard --jobs 2

clean-data:
	rm -rf data/synthetic data/synthetic_hard
