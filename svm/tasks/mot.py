"""Registers svm's MOT modules into mmdet's registries: ``custom_imports = dict(imports=['svm.tasks.mot'])``."""
from svm.utils.setup_env import register_all_modules

register_all_modules('mot')
