"""svm's models. ``svm.models.backbones`` and ``svm.models.layers`` (S-ViT) need only torch; ``heads``,
``mot``, ``necks`` and ``recognizers`` are OpenMMLab modules, imported and registered by ``import svm``."""
