# make demo: the main job (small end-to-end run on generated data); make test: the test suite.
# Both create or reuse the virtual environment .venv (see tools/setup_env.sh).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.svm-env-stamp

.PHONY: env demo test clean

$(STAMP): tools/setup_env.sh setup.py requirements/runtime.txt requirements/build.txt requirements/tests.txt requirements/constraints.txt
	bash tools/setup_env.sh $(VENV)
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo_main.py

test: $(STAMP)
	$(PY) -m pytest tests

clean:
	rm -rf work_dirs data/synthetic
