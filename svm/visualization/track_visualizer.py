"""mmdet's tracking visualizer, able to draw what mmdet's own test pipeline gives it."""
import numpy as np
from mmdet.registry import VISUALIZERS
from mmdet.visualization import TrackLocalVisualizer
from mmdet.visualization.palette import _get_adaptive_scales
from mmengine.structures import InstanceData

from .frame_drawing import track_color

# Frame diagonal-ish size (sqrt of the pixel count of 640x480) at which mmdet's 13-point labels are drawn
# unscaled; larger frames get proportionally larger labels, so ids stay readable at 1080p.
_REFERENCE_FRAME_SIZE = (640 * 480)**0.5


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
    id, labelled with the class, the id and (predictions) the score; but clipped to the frame, because
    matplotlib widens the canvas to hold a box that reaches outside it (MOT17's ground truth has many,
    an untrained model's tracks too), shrinking the frame into a white margin. Boxes wholly outside the
    frame are left out. Labels grow with the frame (:data:`_REFERENCE_FRAME_SIZE`).
    """

    def _draw_instances(self, image: np.ndarray, instances: InstanceData) -> np.ndarray:
        """Draw the boxes of ``instances`` on an RGB ``image`` (H, W, 3); returns the drawn image, RGB and of
        the same size."""
        self.set_image(image)
        if 'bboxes' not in instances or len(instances) == 0:
            return self.get_image()
        height, width = image.shape[:2]
        bboxes = instances.bboxes.detach().cpu().float().clone()
        # mmengine's "out of bounds" test counts x == width as outside
        bboxes[:, 0::2] = bboxes[:, 0::2].clamp(0, width - 1)
        bboxes[:, 1::2] = bboxes[:, 1::2].clamp(0, height - 1)
        inside = ((bboxes[:, 2] > bboxes[:, 0]) & (bboxes[:, 3] > bboxes[:, 1])).numpy()
        if not inside.any():
            return self.get_image()
        bboxes = bboxes[inside]
        ids = instances.instances_id if 'instances_id' in instances else instances.instances_ids
        ids = [int(i) for i, keep in zip(ids, inside) if keep]
        classes = self.dataset_meta.get('classes', None)
        labels = [int(label) for label in instances.labels] if 'labels' in instances else [0] * len(inside)
        names = [classes[label] if classes is not None else f'cls{label}'
                 for label, keep in zip(labels, inside) if keep]
        if 'scores' in instances:
            scores = [float(s) for s, keep in zip(instances.scores, inside) if keep]
            texts = [f'{name}\n{i} | {s:.2f}' for name, i, s in zip(names, ids, scores)]
        else:
            texts = [f'{name}\n{i}' for name, i in zip(names, ids)]
        colors = [track_color(i) for i in ids]
        self.draw_bboxes(bboxes, edge_colors=colors, alpha=self.alpha, line_widths=self.line_width)
        positions = (bboxes[:, :2] + self.line_width).minimum(bboxes.new_tensor([width - 1, height - 1]))
        areas = (bboxes[:, 3] - bboxes[:, 1]) * (bboxes[:, 2] - bboxes[:, 0])
        frame_scale = max(1.0, (height * width)**0.5 / _REFERENCE_FRAME_SIZE)
        scales = _get_adaptive_scales(areas.numpy()) * frame_scale
        for text, pos, color, scale in zip(texts, positions, colors, scales):
            self.draw_texts(text, pos, colors='black', font_sizes=int(13 * scale),
                            bboxes=[dict(facecolor=[c / 255 for c in color], alpha=0.8, pad=0.7,
                                         edgecolor='none')])
        return self.get_image()
