"""S-ViT as an OpenMMLab module: what configs build as ``type='SViT'``, in mmdet and mmaction2 alike.

:class:`svm.models.backbones.svit.SViT` is plain PyTorch; this subclass adds mmengine's ``BaseModule``
(``init_cfg``, e.g. ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``, and the initialisation
record of the runner's log) and is registered into both model registries. ``import svm`` imports it when
the OpenMMLab stack is installed.
"""
import copy
from typing import List, Union

from mmengine.logging import print_log
from mmengine.model import BaseModule

from svm.registry import register_shared_model
from . import svit
from .clip_checkpoint import load_clip_visual


@register_shared_model
class SViT(svit.SViT, BaseModule):
    """:class:`svm.models.backbones.svit.SViT` with mmengine's initialisation.

    Args:
        *args, **kwargs: those of :class:`svm.models.backbones.svit.SViT`.
        init_cfg: mmengine initialisation config, applied by :meth:`init_weights` before the CLIP weights
            of ``pretrained``.
    """

    def __init__(self, *args, init_cfg: Union[dict, List[dict], None] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)  # svit.SViT, then BaseModule with no init_cfg
        self.init_cfg = copy.deepcopy(init_cfg)  # as BaseModule.__init__: building must not alias the config

    def init_weights(self) -> None:
        """mmengine's initialisation (``init_cfg``, ``Pretrained`` last), then the CLIP weights of
        ``pretrained``, if given, reported in the run's log."""
        BaseModule.init_weights(self)
        if self.pretrained is not None:
            print_log(load_clip_visual(self, self.pretrained).summary(), logger='current')
