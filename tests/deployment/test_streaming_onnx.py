"""ONNX export of S-ViT's streaming step with the key/value memory as explicit inputs and outputs
(svm/deployment/streaming_onnx.py, tools/deployment/export_streaming_onnx.py): onnxruntime equals PyTorch's
streaming mode over more frames than the memory holds, for a windowed and a global model and both policies."""
import importlib
import re
import sys

import onnx
import numpy as np
import pytest
import torch

from svm.deployment import (OnnxStreamingSession, StreamingStep, export_streaming_onnx, format_verify_report,
                            verify_streaming_onnx, with_memory_policy)
from svm.models.backbones import SViT
from svm.models.layers import KVMemory
from svm.models.layers.kv_memory import ExplicitKVMemory
from svm.models.necks import SimplePyramid
from helpers import REPO_ROOT, load_script, run_tool

L = 3  # memory length of the tiny models
NUM_FRAMES = 8  # > 2 L: the memory fills, the ring buffer wraps and the policy acts five times
TINY = dict(embed_dims=16, num_layers=2, num_heads=2, patch_size=8)
# windowed: windows of 2 and 3 on a 5 x 3 patch map (padded to 6 x 4 and 6 x 3), a conv block, a pyramid;
# global: class token and tokens out, the position embedding resized to the 4 x 3 map
MODELS = {
    'windowed': dict(backbone=dict(window_size=(2, 3), with_cls_token=False, out_indices=(0, 1),
                                   residual_block_indices=(0, )),
                     neck=True, shape=(40, 24)),
    'global': dict(backbone=dict(window_size=None, with_cls_token=True, out_type='tokens', out_indices=(0, 1)),
                   neck=False, shape=(32, 24)),
}


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny models on a shared 2-core machine: one thread is faster than two contending ones."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_step(name: str, policy: str) -> StreamingStep:
    """A tiny model whose T2D gate alpha is O(1) (not 1e-4), so that the outputs depend on the memory."""
    torch.manual_seed(0)
    spec = MODELS[name]
    backbone = SViT(arch=TINY, img_size=32, memory_len=L, memory_policy=policy, **spec['backbone'])
    for blk in backbone.blocks:
        torch.nn.init.normal_(blk.attn.t2d_alpha, 0., 1.)
    for block in backbone.conv_blocks.values():  # its zero-initialised last norm makes it the identity
        torch.nn.init.normal_(block.norm3.weight)
    neck = SimplePyramid(16, out_channels=(8, 16), scale_factors=(2.0, 0.5)) if spec['neck'] else None
    return StreamingStep(backbone, neck).eval()


def video(name: str, num_frames: int = NUM_FRAMES, seed: int = 1) -> torch.Tensor:
    H, W = MODELS[name]['shape']
    return torch.randn(num_frames, 1, 3, H, W, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """Export each (model, policy) once: {key: (step, path, info)}."""
    cache = {}

    def get(name: str, policy: str):
        if (name, policy) not in cache:
            step = tiny_step(name, policy)
            path = str(tmp_path_factory.mktemp('onnx') / f'{name}_{policy}.onnx')
            info = export_streaming_onnx(step, path, *MODELS[name]['shape'])
            cache[name, policy] = step, path, info
        return cache[name, policy]

    return get


def kv(value: float, shape=(1, 2, 2, 1, 3, 2, 4)):
    """Keys and values of one frame: (B, nh, wh, nw, ww, heads, hd), keys = value, values = -value."""
    return torch.full(shape, value), torch.full(shape, -value)


@pytest.mark.parametrize('policy', ['fifo', 'merge'])
@pytest.mark.parametrize('capacity', [1, 3])
def test_explicit_memory_is_kv_memory_slot_for_slot(policy, capacity):
    """ExplicitKVMemory's new memory is KVMemory's ring buffer (explicit_state) at every frame."""
    ring = KVMemory(capacity, policy)
    state, count = torch.zeros(2, 1, capacity, 4, 3, 8), torch.zeros(1, dtype=torch.int64)
    for t in range(2 * capacity + 3):
        k, v = kv(float(2**t))  # powers of two: every average is exact
        ring.append(k, v)
        explicit = ExplicitKVMemory(state, count, policy)
        explicit.append(k, v)
        state, count = explicit.new_memory, count + 1
        assert torch.equal(state, ring.explicit_state())
        held = min(t + 1, capacity)
        col_mask, row_mask = explicit.read_masks()
        assert col_mask.flatten().tolist() == [s < held for _ in range(2) for s in range(capacity)]  # wh = 2
        assert row_mask.flatten().tolist() == [s < held for s in range(capacity) for _ in range(3)]  # ww = 3
        # the valid slots of read() are KVMemory.read()'s sequences, in the same order
        for got, want, mask in zip(explicit.read(), ring.read(), (col_mask, col_mask, row_mask, row_mask)):
            assert torch.equal(got[:, :, mask.flatten()], want)
    if capacity == 3:  # frames 2**t, t = 0..8; merge: slot (t + 1) % 3 <- (next + oldest) / 2 from t = 3 on
        want = [((((((2 + 1) / 2 + 4) / 2 + 8) / 2 + 16) / 2 + 32) / 2 + 64) / 2, 128., 256.]
        want = want if policy == 'merge' else [64., 128., 256.]
        assert state[:, 0, :, 0, 0, 0].tolist() == [want, [-x for x in want]]
    with pytest.raises(RuntimeError, match='one frame'):
        explicit.append(k, v)
    with pytest.raises(ValueError, match='does not fit'):
        ExplicitKVMemory(state, count, policy).append(*kv(1., (1, 2, 2, 1, 2, 2, 4)))


@pytest.mark.parametrize('policy', ['fifo', 'merge'])
@pytest.mark.parametrize('name', list(MODELS))
def test_explicit_step_equals_streaming_in_pytorch(name, policy):
    """Without ONNX: the step fed its own memory equals SViT's streaming mode; and a video streamed so far
    by PyTorch continues in the step from state_of_backbone()."""
    step = tiny_step(name, policy)
    frames = video(name)
    count, memories = step.initial_state(1, *MODELS[name]['shape'])
    step.backbone.reset_memory()
    with torch.no_grad():
        for t, frame in enumerate(frames):
            *outs, = step(frame, count, *memories)
            outs, memories, count = outs[:-len(memories) - 1], outs[-len(memories) - 1:-1], outs[-1]
            want = step.backbone(frame)
            want = step.neck(want) if step.neck is not None else want
            assert len(outs) == len(want) and int(count) == t + 1
            for got, ref in zip(outs, want):
                torch.testing.assert_close(got, ref, rtol=0, atol=1e-5)
            _, ring = step.state_of_backbone()
            for got, ref in zip(memories, ring):
                torch.testing.assert_close(got, ref, rtol=0, atol=1e-5)
            if t == L:  # hand-off: continue from PyTorch's memories
                count, memories = step.state_of_backbone()
    step.backbone.reset_memory()


@pytest.mark.parametrize('policy', ['fifo', 'merge'])
@pytest.mark.parametrize('name', list(MODELS))
def test_onnx_streaming_step_equals_pytorch(exported, name, policy):
    step, path, info = exported(name, policy)
    H, W = MODELS[name]['shape']
    h, w = H // 8, W // 8
    windows = [blk.attn.window_size for blk in step.backbone.blocks]
    padded = [(h, w) if ws is None else (-(-h // ws) * ws, -(-w // ws) * ws) for ws in windows]
    assert info['inputs'] == ([('frame', (1, 3, H, W), 'float32'), ('count', (1, ), 'int64')] +
                              [(f'memory_{i}', (2, 1, L, *padded[i], 16), 'float32') for i in range(2)])
    names = [n for n, _, _ in info['outputs']]
    assert names == ['out_0', 'out_1', 'memory_0_out', 'memory_1_out', 'count_out']
    assert info['outputs'][2:] == [(f'{n}_out', s, d) for n, s, d in info['inputs'][2:]] + [
        ('count_out', (1, ), 'int64')]
    graph = onnx.load(path)
    assert not {'If', 'Loop', 'Scan'} & {node.op_type for node in graph.graph.node}  # one graph for all frames
    metadata = {p.key: p.value for p in graph.metadata_props}
    assert metadata['svm.memory_policy'] == policy and metadata['svm.memory_len'] == str(L)

    result = verify_streaming_onnx(path, step, video(name))
    assert result['frames'] == NUM_FRAMES > 2 * L
    assert result['max_abs_diff'] < 1e-4, result
    assert result['memory_effect'] > 1e-2  # the outputs do depend on the memory: the comparison means something


def test_empty_slots_are_masked_out(exported):
    """Inside the graph, the slots s >= count take no part in the attention, whatever they hold."""
    step, path, _ = exported('windowed', 'fifo')
    session = OnnxStreamingSession(path)
    rng = np.random.RandomState(0)
    for name in session.memory_names:  # garbage in the empty slots instead of zeros
        session.state[name] = (100 * rng.randn(*session.state[name].shape)).astype(np.float32)
    step.backbone.reset_memory()
    with torch.no_grad():
        for frame in video('windowed', L):
            got, want = session.step(frame.numpy()), step.neck(step.backbone(frame))
            assert max(float(np.abs(g - w.numpy()).max()) for g, w in zip(got, want)) < 1e-4
    step.backbone.reset_memory()


def test_mismatch_is_detected(exported):
    """The check can fail: the merge graph against PyTorch running fifo."""
    step, path, _ = exported('windowed', 'merge')
    wrong_policy = with_memory_policy(step, 'fifo')
    assert step.memory_blocks and step.backbone.memory_policy == 'merge'  # changed on a copy
    assert wrong_policy.backbone.stream_state.memories[step.memory_blocks[0]].policy == 'fifo'
    result = verify_streaming_onnx(path, step, video('windowed'), reference=wrong_policy)
    assert result['outputs'] > 1e-3 and result['memory'] > 1e-3
    assert max(result['per_frame'][:L]) < 1e-4  # the policies agree while the memory fills
    assert result['per_frame'][L] > 1e-3  # and part when frame L + 1 arrives: merge, not drop
    assert result['reference_policy'] == 'fifo'
    assert format_verify_report(result).splitlines()[-1] == f'max abs diff {result["max_abs_diff"]:.3g}'
    with pytest.raises(ValueError, match='memory_policy must be one of'):
        with_memory_policy(step, 'lifo')


def test_tool_exports_and_verifies_a_mot_checkpoint(tmp_path):
    """The command line on the tiny MOT config, windowed, with a whole-model checkpoint whose T2D gates are
    large (the config's are 1e-4): the memory effect shows the checkpoint was loaded."""
    from mmengine.registry import init_default_scope

    from svm.registry import MMDET_MODELS
    from svm.utils.config_checks import load_config
    config = REPO_ROOT / 'configs/mot/svm/bytetrack_svit-tiny_yolox_1xb2-2e_tinymot.py'
    cfg = load_config(str(config))
    cfg.model.detector.backbone.update(window_size=2, memory_len=L, pretrained=None)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MMDET_MODELS.build(cfg.model)
    with torch.no_grad():
        for blk in model.detector.backbone.blocks:
            blk.attn.t2d_alpha.fill_(1.0)
    checkpoint = tmp_path / 'tiny_mot.pth'
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), checkpoint)
    out = tmp_path / 'tiny_mot_stream.onnx'
    proc = run_tool(['python', 'tools/deployment/export_streaming_onnx.py', config, '--out', out,
                     '--checkpoint', checkpoint, '--shape', 64, 96, '--memory-len', L, '--frames', 2 * L + 1,
                     '--verify', '--cfg-options', 'model.detector.backbone.window_size=2'])
    assert out.is_file()
    assert re.search(r'memory_0 +\(2, 1, 3, 8, 12, 32\)', proc.stdout)  # 8 x 12 patches, windows of 2
    assert re.search(r'out_2 +\(1, 64, 4, 6\)', proc.stdout)  # the pyramid's x0.5 map
    diff = float(re.search(r'^max abs diff (\S+)$', proc.stdout, re.M).group(1))
    assert diff < 1e-4
    effect = float(re.search(r'memory effect .*: (\S+)$', proc.stdout, re.M).group(1))
    assert effect > 1e-2, proc.stdout


def test_tool_fails_above_the_tolerance(tmp_path):
    """The command line on the tiny recognition config (global, class token, tokens): exported with merge,
    compared with PyTorch running fifo, it prints the diff and exits with status 1."""
    proc = run_tool(['python', 'tools/deployment/export_streaming_onnx.py',
                     REPO_ROOT / 'configs/recognition/svm/svm_stream-tiny_1xb4-8x1x1-12e_toy-rgb.py', '--out',
                     tmp_path / 'recognition.onnx', '--shape', '32', '32', '--memory-len', '2', '--frames', '5',
                     '--memory-policy', 'merge', '--verify', '--cfg-options', 'model.backbone.alpha_init=1.0',
                     '--reference-policy', 'fifo'], check=False)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'out_0            (1, 5, 64)' in proc.stdout  # class token + 2 x 2 patch tokens
    assert float(re.search(r'^max abs diff (\S+)$', proc.stdout, re.M).group(1)) > 1e-4
    assert 'FAILED: above the tolerance 0.0001' in proc.stderr


def test_deployment_imports_without_onnx(monkeypatch):
    """svm.deployment imports and its step runs without onnx/onnxruntime: only export and verify need them."""
    import svm.deployment.streaming_onnx as module
    monkeypatch.setitem(sys.modules, 'onnx', None)  # `import onnx` now raises ImportError
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    try:
        importlib.reload(module)
        step = module.StreamingStep(tiny_step('global', 'fifo').backbone)
        count, memories = step.initial_state(1, 32, 24)
        with torch.no_grad():
            assert int(step(video('global', 1)[0], count, *memories)[-1]) == 1
        with pytest.raises(ImportError):
            module.export_streaming_onnx(step, 'unused.onnx', 32, 24)
    finally:
        monkeypatch.undo()
        importlib.reload(module)


@pytest.mark.parametrize('options, message', [
    (['--verify', '--frames', '0'], '--frames must be at least 1, got 0'),
    (['--verify', '--frames', '-1'], '--frames must be at least 1, got -1'),
    (['--frames', '4'], '--frames is the length of the --verify video: give --verify too'),
    (['--batch', '0'], '--batch must be at least 1, got 0'),
    (['--memory-len', '0'], '--memory-len must be at least 1, got 0'),
    (['--verify', '--tolerance', 'nan'], '--tolerance must be at least 0, got nan'),
    (['--shape', '0', '32'], '--shape H W must be positive, got 0 32'),
])
def test_tool_refuses_bad_numbers_before_exporting(tmp_path, capsys, options, message):
    out = tmp_path / 'never.onnx'
    with pytest.raises(SystemExit) as refused:
        load_script('tools/deployment/export_streaming_onnx.py').parse_args(['config.py', '--out', str(out), *options])
    assert refused.value.code == 2 and message in capsys.readouterr().err and not out.exists()
