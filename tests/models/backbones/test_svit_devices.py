"""S-ViT on each device, the CPU and a CUDA GPU: autocast, parallel == streaming, the fused SDPA kernels with
the causal frame mask, the key/value memory on the device, a streaming state moved mid-video. The CUDA cases
are skipped, with the reason, where there is no CUDA GPU; the same test bodies run on the CPU everywhere.
"""
from typing import Sequence

import pytest
import torch
import torch.nn.functional as F

from svm.benchmark.timing import DTYPES, autocast
from svm.models.backbones import SViT

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU')
DEVICES = ['cpu', pytest.param('cuda', marks=needs_cuda)]

# head dim 16: the fused kernels need a multiple of 8
TINY = dict(embed_dims=64, num_layers=2, num_heads=4, patch_size=4)
# largest |autocast - fp32| relative to the largest |fp32| output, two blocks, outputs after LayerNorm: fp16
# keeps 11 bits of mantissa, bf16 8
AUTOCAST_TOLERANCE = {'fp16': 1e-2, 'bf16': 5e-2}
# fused kernels against the math backend in the same dtype: rounding of that dtype (CPU flash, measured:
# 1.0e-3 fp16, 8.4e-3 bf16)
SDPA_TOLERANCE = {'fp16': 5e-3, 'bf16': 3e-2}


def tiny_svit(window_size: int = 0, memory_len: int = 4, memory_policy: str = 'fifo', device: str = 'cpu',
              attn_mode: str = 'stream') -> SViT:
    """A 2-block S-ViT whose T2D gate is large (normal, not 1e-4), so that the memory changes the outputs."""
    torch.manual_seed(0)
    model = SViT(arch=TINY, img_size=32, attn_mode=attn_mode, window_size=window_size or None,
                 memory_len=memory_len, memory_policy=memory_policy, with_cls_token=not window_size,
                 out_indices=(0, 1))
    for blk in model.blocks:
        torch.nn.init.normal_(blk.attn.t2d_alpha)
    return model.to(device).eval()


def stream(model: SViT, clip: torch.Tensor) -> Sequence[torch.Tensor]:
    """Frame by frame from an empty memory; per out index (B * T, C, h, w), rows frame-major as parallel."""
    model.reset_memory()
    steps = [model(clip[:, t]) for t in range(clip.shape[1])]
    return [torch.stack([step[i] for step in steps], 1).flatten(0, 1) for i in range(len(steps[0]))]


def relative_error(out: Sequence[torch.Tensor], ref: Sequence[torch.Tensor]) -> float:
    return max(((a.float() - b.float()).abs().max() / b.float().abs().max()).item() for a, b in zip(out, ref))


@pytest.fixture
def no_tf32(monkeypatch):
    """fp32 without TF32, so that fp32 comparisons on Ampere and later are to fp32 rounding."""
    if torch.cuda.is_available():
        monkeypatch.setattr(torch.backends.cuda.matmul, 'allow_tf32', False)
        monkeypatch.setattr(torch.backends.cudnn, 'allow_tf32', False)


def check_autocast_close_to_fp32(device: str, dtype: str, window_size: int) -> float:
    """Parallel mode and streaming under autocast: finite, of the autocast dtype, within
    :data:`AUTOCAST_TOLERANCE` of fp32. Returns the largest relative error."""
    model = tiny_svit(window_size, device=device)
    clip = torch.randn(2, 3, 3, 32, 48, device=device)
    errors = []
    with torch.no_grad():
        reference = model(clip)
        stream(model, clip)
        fp32_memory_nbytes = model.memory_nbytes
        for run in (lambda: model(clip), lambda: stream(model, clip)):
            with autocast(device, dtype):
                out = run()
                # the outputs end with a LayerNorm, which autocast runs in fp32 on CUDA, in the low dtype on the CPU
                norm_dtype = F.layer_norm(torch.ones(1, 8, device=device, dtype=DTYPES[dtype]), (8, )).dtype
            assert all(o.dtype == norm_dtype for o in out), ([o.dtype for o in out], norm_dtype)
            assert all(torch.isfinite(o).all() for o in out)
            errors.append(relative_error(out, reference))
    assert model.memory_nbytes * 2 == fp32_memory_nbytes  # streamed under autocast: the memory in the low dtype
    assert max(errors) < AUTOCAST_TOLERANCE[dtype], errors
    return max(errors)


def check_parallel_equals_streaming(device: str, window_size: int, memory_len: int) -> None:
    """Outputs of a 4-frame clip in parallel mode (causal mask) and frame by frame, to 1e-5, and the
    parameter gradients of a loss on all frames, to 1e-5 of the largest (fifo: memory_len < T holds)."""
    model = tiny_svit(window_size, memory_len, device=device)
    clip = torch.randn(1, 4, 3, 32, 48, device=device)
    with torch.no_grad():
        torch.testing.assert_close(stream(model, clip), list(model(clip)), atol=1e-5, rtol=0)
    model.train()
    grads = []
    for run in (lambda: model(clip), lambda: stream(model, clip)):
        model.zero_grad(set_to_none=True)
        sum(out.square().mean() for out in run()).backward()
        grads.append([p.grad for p in model.parameters() if p.grad is not None])
    assert len(grads[0]) == len(grads[1]) > 0
    largest = max(g.abs().max() for g in grads[0])
    for parallel, streamed in zip(*grads):
        torch.testing.assert_close(parallel, streamed, atol=1e-5 * largest.item(), rtol=0)


def check_sdpa_backends_match_math(device: str, backends: Sequence, dtype: str = 'fp16') -> None:
    """Under autocast, parallel mode (T2D with the boolean causal frame mask, memory_len < T so that it
    masks) and streaming (no mask) with only ``backends`` allowed give the math backend's output."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    model = tiny_svit(window_size=4, memory_len=2, device=device)
    clip = torch.randn(1, 4, 3, 32, 48, device=device)
    with torch.no_grad(), autocast(device, dtype):
        with sdpa_kernel([SDPBackend.MATH]):
            reference = list(model(clip)), stream(model, clip)
        with sdpa_kernel(list(backends)):
            fused = list(model(clip)), stream(model, clip)
    errors = [relative_error(out, ref) for out, ref in zip(fused, reference)]
    assert max(errors) < SDPA_TOLERANCE[dtype], errors


def check_memory_on_device(device: str, dtype: str) -> None:
    """After streaming frames under autocast, every block's key/value buffer is on the device, in the
    autocast dtype, of the size :attr:`SViT.memory_nbytes` adds up: blocks x (k, v) x L x padded tokens x C x
    bytes per element (one copy, read along both T2D axes)."""
    L, window = 3, 4
    model = tiny_svit(window, memory_len=L, memory_policy='merge', device=device)
    assert model.memory_nbytes == 0
    with torch.no_grad(), autocast(device, dtype):
        for _ in range(L + 1):  # one frame past capacity: the merge policy runs on the device
            model(torch.randn(1, 3, 32, 48, device=device))
    expected_dtype = DTYPES[dtype]
    element = torch.finfo(expected_dtype).bits // 8
    padded_tokens = 8 * 12  # the 8 x 12 patch map, already whole windows of 4
    assert model.memory_nbytes == 2 * 2 * L * padded_tokens * TINY['embed_dims'] * element
    state = model.stream_state
    assert state.lengths == (L, )
    for memory in state.memories:
        buf = memory._buffer
        assert buf.device.type == torch.device(device).type and buf.dtype == expected_dtype
        assert torch.isfinite(buf).all()


def check_state_moves_mid_video(device: str) -> None:
    """Three frames on the CPU, then the model (with its own state) and an explicit state move to ``device``
    and the video goes on: the outputs equal the video streamed on the CPU throughout."""
    model = tiny_svit(window_size=4, memory_len=4)
    video = torch.randn(1, 6, 3, 32, 48)
    with torch.no_grad():
        expected = stream(model, video)[-1]
        model.reset_memory()
        state = model.init_state()
        own = [model(video[:, t])[-1] for t in range(3)]
        explicit = [model(video[:, t], state=state)[0][-1] for t in range(3)]
        model.to(device)
        state.to(device)
        frames = video.to(device)
        own += [model(frames[:, t])[-1].cpu() for t in range(3, 6)]
        explicit += [model(frames[:, t], state=state)[0][-1].cpu() for t in range(3, 6)]
    torch.testing.assert_close(torch.cat(own), expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.cat(explicit), expected, atol=1e-5, rtol=0)


def low_precision(device: str, dtype: str) -> None:
    """Skip where the device has no autocast to ``dtype``."""
    if device == 'cuda' and dtype == 'bf16' and not torch.cuda.is_bf16_supported():
        pytest.skip('this GPU has no bf16')


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('window_size', [0, 4])
@pytest.mark.parametrize('dtype', ['fp16', 'bf16'])
def test_autocast_close_to_fp32(device, dtype, window_size, no_tf32):
    low_precision(device, dtype)
    check_autocast_close_to_fp32(device, dtype, window_size)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('window_size, memory_len', [(0, 4), (4, 4), (4, 2)])
def test_parallel_equals_streaming(device, window_size, memory_len, no_tf32):
    check_parallel_equals_streaming(device, window_size, memory_len)


# the fused kernels of each device: CUDA's flash takes no boolean mask (with it allowed, the masked calls fall
# back to the efficient kernel and the unmasked ones, space attention and full-memory streaming T2D, use
# flash); the CPU has a flash kernel only
FUSED_KERNELS = [pytest.param('cpu', ('FLASH_ATTENTION', ), id='cpu-flash'),
                 pytest.param('cuda', ('EFFICIENT_ATTENTION', ), marks=needs_cuda, id='cuda-efficient'),
                 pytest.param('cuda', ('FLASH_ATTENTION', 'EFFICIENT_ATTENTION'), marks=needs_cuda,
                              id='cuda-flash-efficient')]


@pytest.mark.parametrize('device,kernels', FUSED_KERNELS)
@pytest.mark.parametrize('dtype', ['fp16', 'bf16'])
def test_fused_sdpa_with_causal_mask_matches_math(device, kernels, dtype):
    attention = pytest.importorskip('torch.nn.attention', reason='torch.nn.attention.sdpa_kernel needs torch 2.3')
    low_precision(device, dtype)
    check_sdpa_backends_match_math(device, [getattr(attention.SDPBackend, name) for name in kernels], dtype)


@pytest.mark.parametrize('device', DEVICES)
@pytest.mark.parametrize('dtype', ['fp16', 'bf16'])
def test_kv_memory_on_device(device, dtype):
    low_precision(device, dtype)
    check_memory_on_device(device, dtype)


@needs_cuda
def test_streaming_state_moves_to_cuda_mid_video(no_tf32):
    check_state_moves_mid_video('cuda')


def test_streaming_state_moves_within_the_cpu():
    check_state_moves_mid_video('cpu')  # the same body; a move to the same device must change nothing
