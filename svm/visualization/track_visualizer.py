"""mmdet's tracking visualizer, able to draw what mmdet's own test pipeline gives it."""
import numpy as np
from mmdet.registry import VISUALIZERS
from mmdet.visualization import TrackLocalVisualizer
from mmdet.visualization.palette import _get_adaptive_scales
from mmengine.structures import InstanceData

from .frame_drawing import track_color


@VISUALIZERS.register_module()
class SVMTrackLocalVisualizer(TrackLocalVisualizer):
    """:class:`mmdet.visualization.TrackLocalVisualizer` (same arguments) that draws the ground truth too.

    With mmdet 3.3, ``tools/test.py <MOT config> --show-dir DIR`` failed on the first frame:

    - ``PackTrackInputs`` stores the ground-truth ids as ``gt_instances.instances_ids``, while the
      visualizer reads ``instances_id`` (the field of the predicted tracks): ``AttributeError:
      'InstanceData' object has no attribute 'instances_id'``;
    - its colours come from seaborn, which is not a dependency (``RuntimeError: ... pip install
      seaborn``), after reseeding numpy's global random generator with every track id.

    Here the ids are read under either name, colours are a function of the id (:func:`track_color`) and
    a frame without any box is drawn as the plain image. Boxes are drawn as mmdet draws them: coloured by
    id, labelled with the class, the id and (predictions) the score.
    """

    def _draw_instances(self, image: np.ndarray, instances: InstanceData) -> np.ndarray:
        self.set_image(image)
        if 'bboxes' not in instances or len(instances) == 0:
            return self.get_image()
        ids = instances.instances_id if 'instances_id' in instances else instances.instances_ids
        ids = [int(i) for i in ids]
        classes = self.dataset_meta.get('classes', None)
        labels = [int(label) for label in instances.labels] if 'labels' in instances else [0] * len(ids)
        names = [classes[label] if classes is not None else f'cls{label}' for label in labels]
        if 'scores' in instances:
            texts = [f'{name}\n{i} | {float(s):.2f}' for name, i, s in zip(names, ids, instances.scores)]
        else:
            texts = [f'{name}\n{i}' for name, i in zip(names, ids)]
        colors = [track_color(i) for i in ids]
        bboxes = instances.bboxes.clone()
        self.draw_bboxes(bboxes, edge_colors=colors, alpha=self.alpha, line_widths=self.line_width)
        positions = bboxes[:, :2] + self.line_width
        areas = (bboxes[:, 3] - bboxes[:, 1]) * (bboxes[:, 2] - bboxes[:, 0])
        scales = _get_adaptive_scales(areas.cpu().numpy())
        for text, pos, color, scale in zip(texts, positions, colors, scales):
            self.draw_texts(text, pos, colors='black', font_sizes=int(13 * scale),
                            bboxes=[dict(facecolor=[c / 255 for c in color], alpha=0.8, pad=0.7,
                                         edgecolor='none')])
        return self.get_image()
