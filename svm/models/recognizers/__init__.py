from svm.utils import mmaction_compat  # noqa: F401  (before mmaction.models is imported)
from .svit_recognizer import SViTRecognizer

__all__ = ['SViTRecognizer']
