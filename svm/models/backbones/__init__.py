from .svit import SViT

__all__ = ['SViT']
