# The action head of the track recognizer on the synthetic crowd-flow set (configs/track_recognition/svm/):
# a temporal decoder over the patch tokens of the tiny tracker's S-ViT (width 32, no class token), 8 frames.
# The recogniser that trains it and the track recognizer that runs it both inherit this file, so the two
# build the same head.
action_classes = ('walk-left', 'walk-right')
action_num_frames = 8
action_head = dict(
    type='TemporalDecoderHead',
    num_classes=len(action_classes),
    in_channels=32,
    num_frames=action_num_frames,
    # The tracker's encoder has no class token; which way the crowd walks shows in how its patches change.
    with_cls_token=False,
    frame_tokens=('patches', ),
    num_layers=1,
    num_queries=1,
    temporal_pos_embed='learned',
    dropout_ratio=0.0,
    average_clips='prob')
