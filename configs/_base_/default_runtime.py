# Runtime shared by every task. Task configs set `default_scope` ('mmdet' for MOT, 'mmaction' for
# recognition) with the svm modules to register (`custom_imports`: svm.tasks.mot or svm.tasks.recognition),
# their visualizer type and their `visualization` hook.

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='SafeCheckpointHook', interval=1, max_keep_ckpts=3, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # random generators, sampler seed and BatchSyncRandomResize's size: a resumed run repeats an
    # uninterrupted one (svm/engine/hooks/resume_state_hook.py). A default hook, not a custom one: task
    # configs replace `custom_hooks` but merge `default_hooks` by key, so every config keeps it.
    resume_state=dict(type='ResumeStateHook'),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py and tools/test.py switch nccl to gloo on machines without CUDA.
    dist_cfg=dict(backend='nccl'),
)

# Scalars and images go to the work dir: <work_dir>/<timestamp>/vis_data (TensorBoard event files there).
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
# Set True only for checkpoints you trust that need full unpickling (see svm/utils/checkpoint.py).
trust_checkpoint = False
# `load_from` must fit the model (tools/train.py refuses it otherwise, naming the keys); True loads only the
# matching tensors of a deliberately different model and reports the rest as a warning.
partial_load = False
