from .svit_recognizer import SViTRecognizer

__all__ = ['SViTRecognizer']
