from . import optimizers  # noqa: F401  (registers modules)
