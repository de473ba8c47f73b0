"""svm's additions to mmengine's training: ``hooks`` (safe checkpointing, resumable state) and ``optimizers``
(CLIP layer decay) serve both tasks, ``runner`` (the frame-stepped loop of streamed MOT training) the MOT one.
The subpackages register their types when imported (svm/utils/setup_env.py)."""
