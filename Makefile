# Quick start: `make demo` (main job) and `make test`. Both create .venv first.
PY := .venv/bin/python
SETUP_STAMP := .venv/.mmada-setup-done

.PHONY: setup demo test bench clean-data

$(SETUP_STAMP): pyproject.toml tools/setup_env.sh
	bash tools/setup_env.sh

setup: $(SETUP_STAMP)

demo: $(SETUP_STAMP)
	$(PY) tools/demo.py

test: $(SETUP_STAMP)
	$(PY) -m pytest tests -q

# Every benchmark, each writing its section of docs/benchmarks.md (~15 min on 2 cores).
bench: $(SETUP_STAMP)
	$(PY) tools/benchmarks/two_domain_overhead.py --out docs/benchmarks.md
	$(PY) tools/benchmarks/acquisition.py --out docs/benchmarks.md
	$(PY) tools/benchmarks/ripu_selection.py --out docs/benchmarks.md
	$(PY) tools/benchmarks/global_topn_memory.py --out docs/benchmarks.md

clean-data:
	rm -rf data/synthetic
