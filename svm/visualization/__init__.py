from .frame_drawing import draw_topk, draw_tracks, draw_tracks_and_topk, track_color
from .track_visualizer import SVMTrackLocalVisualizer

__all__ = ['SVMTrackLocalVisualizer', 'draw_topk', 'draw_tracks', 'draw_tracks_and_topk', 'track_color']
