"""The streams benchmark (svm.benchmark.streams): its two-copy reference memory computes what the one-copy
memory computes, and the command prints both tables."""
import json

import torch

from svm.benchmark.streams import TwoCopyKVMemory, two_copy_state
from svm.models.backbones.svit import SViT
from helpers import run_tool

TINY = dict(embed_dims=32, num_layers=2, num_heads=4, patch_size=4)


def test_two_copies_stream_as_one_copy_with_twice_the_bytes():
    torch.manual_seed(0)
    model = SViT(arch=TINY, img_size=16, window_size=2, with_cls_token=False, memory_len=3,
                 memory_policy='merge').eval()
    for blk in model.blocks:
        torch.nn.init.normal_(blk.attn.t2d_alpha)
    one, two = model.init_state(), two_copy_state(model)
    assert all(isinstance(m, TwoCopyKVMemory) for m in two.memories)
    with torch.no_grad():
        for t, frames in enumerate(torch.randn(7, 2, 3, 16, 24)):
            if t == 4:
                one.reset([1])
                two.reset([1])
            a, _ = model(frames, state=one)
            b, _ = model(frames, state=two)
            torch.testing.assert_close(a, b, atol=1e-6, rtol=0)
    assert two.nbytes == 2 * one.nbytes > 0


def test_streams_task_prints_both_tables(tmp_path):
    out = tmp_path / 'streams.json'
    proc = run_tool(['python', 'tools/analysis_tools/benchmark.py', 'streams', '--arch', 'tiny', '--case',
                     '32x48:0:2', '32x48:4:2', '--frames', '2', '--streams', '1', '2', '--streams-case', '32x48:0:2',
                     '--steps', '2', '--device', 'cpu', '--threads', '1', '--out', out])
    lines = proc.stdout.splitlines()
    rows = [line for line in lines if line.startswith('| 32x48 |')]
    assert [row.split(' | ')[3] for row in rows] == ['space', 'stream', 'stream, two copies'] * 2
    assert any(line.startswith('| 2 |') for line in lines)  # two streams batched
    result = json.loads(out.read_text())
    for case in result['per_frame']:
        encoders = case['encoders']
        assert encoders['stream, two copies']['kv_mib'] == 2 * encoders['stream']['kv_mib'] > 0
        assert encoders['space']['ratio_to_space'] == 1.0
    assert [r['streams'] for r in result['batched']['rows']] == [1, 2]
    assert result['batched']['rows'][1]['kv_mib'] == 2 * result['batched']['rows'][0]['kv_mib']
