from . import optimizers, runner  # noqa: F401  (registers modules)
from . import hooks  # noqa: F401  (registers SafeCheckpointHook)
