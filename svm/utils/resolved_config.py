"""A config as the tools run it: loaded with its ``_base_`` files and ``--cfg-options`` applied, refusing
what cannot take effect (svm.utils.config_checks), for the tools that read a config without a Runner
(tools/misc/print_config.py, browse_dataset.py, tools/analysis_tools/*)."""
from typing import Optional

from mmengine.config import Config

from .config_checks import check_override_keys, load_config


def resolve_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """The config at ``path`` (a syntax error names the file and line) with ``cfg_options`` merged in
    (a misspelled key or a parse-time variable is refused with what to override instead)."""
    cfg = load_config(path)
    if cfg_options:
        check_override_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg
