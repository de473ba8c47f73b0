"""Registers svm's recognition modules into mmaction2's registries:
``custom_imports = dict(imports=['svm.tasks.recognition'])``."""
from svm.utils.setup_env import register_all_modules

register_all_modules('recognition')
