from . import optimizers, runner  # noqa: F401  (registers modules)
