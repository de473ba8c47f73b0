from .checkpoint_hook import SafeCheckpointHook
from .resume_state_hook import ResumeStateHook  # noqa: F401  (registers it)

__all__ = ['SafeCheckpointHook']
