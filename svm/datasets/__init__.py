from . import mot, samplers, transforms  # noqa: F401  (registers modules)
