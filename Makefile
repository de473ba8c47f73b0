# make demo: the main job (small end-to-end run on generated data); make test: the test suite.
# Both create or reuse the virtual environment .venv with the locked CPU stack (requirements/locked_cpu.txt,
# see tools/setup_env.sh); make env-gpu creates it on a CUDA machine from that machine's torch. As does
# make mot-claims: streaming vs frame-based trackers over seeds and memory lengths (docs/demo.md);
# make track-recognition-demo: tracking and action recognition from one S-ViT pass per frame
# (docs/track_recognition.md).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.svm-env-stamp

.PHONY: env demo test clean

$(STAMP): tools/setup_env.sh setup.py requirements/locked_cpu.txt requirements/build.txt
	bash tools/setup_env.sh $(VENV)
	touch $(STAMP)

env: $(STAMP)

# A CUDA machine: its own CUDA torch (>= 2.6) and torchvision, mmcv with CPU ops (torchvision runs NMS and
# RoIAlign on CUDA); MMCV_CUDA_OPS=1 builds mmcv's CUDA ops instead. Then: python tools/misc/check_install.py
.PHONY: env-gpu
env-gpu:
	bash tools/setup_env.sh --gpu $(VENV)
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo_main.py

test: $(STAMP)
	$(PY) -m pytest tests --durations=20

clean:
	rm -rf work_dirs data/synthetic

.PHONY: mot-claims
mot-claims: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) tools/experiments/stream_vs_space.py

.PHONY: track-recognition-demo
track-recognition-demo: $(STAMP)
	$(PY) tools/track_recognition_demo_main.py
