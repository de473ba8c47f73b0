from .track_visualizer import SVMTrackLocalVisualizer

__all__ = ['SVMTrackLocalVisualizer']
