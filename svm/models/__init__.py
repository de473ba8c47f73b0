from . import backbones, heads, layers, mot, necks, recognizers  # noqa: F401  (registers modules)
