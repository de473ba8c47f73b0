from . import mot, recognition, samplers, transforms  # noqa: F401  (registers modules)
