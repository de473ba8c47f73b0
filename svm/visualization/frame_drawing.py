"""Tracks and top-k classes drawn on video frames with OpenCV (the demos' output videos), and the colour of
a track id shared with the test-time visualizer (:class:`SVMTrackLocalVisualizer`)."""
import colorsys
from typing import List, Sequence, Tuple, Union

import cv2
import numpy as np


def track_color(track_id: int) -> Tuple[int, int, int]:
    """A colour (RGB, 0-255) per track id: hues a golden angle apart, so neighbouring ids differ."""
    hue = (int(track_id) * 0.6180339887) % 1.0
    return tuple(int(255 * c) for c in colorsys.hsv_to_rgb(hue, 0.85, 0.95))


def draw_tracks(frame: np.ndarray, bboxes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Draw (n, 4) x1, y1, x2, y2 boxes and their ids on a copy of a BGR frame (H, W, 3) uint8, each track in
    its :func:`track_color`."""
    out = frame.copy()
    for (x1, y1, x2, y2), track_id in zip(np.round(bboxes).astype(int), ids):
        color = track_color(int(track_id))[::-1]  # BGR
        cv2.rectangle(out, (x1, y1), (x2, y2), color, 2)
        label = str(int(track_id))
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        cv2.rectangle(out, (x1, y1 - th - 4), (x1 + tw + 4, y1), color, -1)
        cv2.putText(out, label, (x1 + 2, y1 - 3), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def draw_topk(frame_rgb: np.ndarray, topk: Sequence[Tuple[Union[int, str], float]],
              min_width: int = 256) -> np.ndarray:
    """A BGR copy of an RGB frame (H, W, 3) uint8, enlarged by a whole factor to at least ``min_width``
    pixels wide, with the top-k ``(class, score)`` pairs written on it, one per line."""
    frame = cv2.cvtColor(frame_rgb, cv2.COLOR_RGB2BGR)
    scale = max(1, int(np.ceil(min_width / frame.shape[1])))
    frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    _write_topk(frame, topk)
    return frame


def draw_tracks_and_topk(frame: np.ndarray, bboxes: np.ndarray, ids: np.ndarray,
                         topk: Sequence[Tuple[Union[int, str], float]]) -> np.ndarray:
    """:func:`draw_tracks` on a copy of a BGR frame (H, W, 3) uint8, with the top-k ``(class, score)`` pairs
    written in its top-left corner, one per line."""
    out = draw_tracks(frame, bboxes, ids)
    _write_topk(out, topk)
    return out


def _write_topk(frame: np.ndarray, topk: Sequence[Tuple[Union[int, str], float]]) -> None:
    """Write ``class: score`` lines, white on a black outline, into the top-left corner of a BGR frame."""
    for i, (label, score) in enumerate(topk):
        text = f'{label}: {score:.2f}'
        org = (4, 14 + 14 * i)
        cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)


__all__: List[str] = ['track_color', 'draw_tracks', 'draw_topk']
