"""S-ViT, the torch-only backbone (svit.py), and the loader of its CLIP initialisation. The OpenMMLab
module that configs build (openmmlab.py) is imported by ``import svm`` when the stack is installed."""
from .svit import SViT

__all__ = ['SViT']
