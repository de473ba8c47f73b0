from .layer_decay_optim_wrapper_constructor import CLIPLayerDecayOptimWrapperConstructor, clip_layer_id

__all__ = ['CLIPLayerDecayOptimWrapperConstructor', 'clip_layer_id']
