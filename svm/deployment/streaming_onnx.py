"""Export S-ViT's streaming step to ONNX with every block's key/value memory as an explicit input and
output, and check the graph with onnxruntime against PyTorch's own streaming mode.

The graph is the same at every frame of a video (one graph per frame size, batch size and memory policy):

=====================  ===========================  ===================================================
name                   shape, type                  what
=====================  ===========================  ===================================================
``frame``              (B, 3, H, W) float32         the new frame, normalised as by the model's data
                                                    preprocessor (mean/std, RGB)
``count``              (1,) int64                   frames of the video before this one: 0 at its first
``memory_<i>``         (2, B, L, Hp, Wp, C) float32  block i's memory before this frame (zeros at the
                                                    first frame), for every block i with a memory
``out_<j>``            the model's outputs          the SViT's outputs (recognition configs: tokens
                                                    (B, 1 + h*w, C)) or the SimplePyramid's maps (MOT
                                                    configs: (B, C_j, h*s_j, w*s_j))
``memory_<i>_out``     (2, B, L, Hp, Wp, C)         block i's memory with this frame: the next frame's
                                                    ``memory_<i>``
``count_out``          (1,) int64                   count + 1: the next frame's ``count``
=====================  ===========================  ===================================================

Memory layout (:class:`~svm.models.layers.kv_memory.ExplicitKVMemory`): ``[0]`` keys, ``[1]`` values;
``[:, :, s]`` is slot s, one frame's keys or values on the patch map (h x w = H/p x W/p, padded to whole
windows in windowed blocks: Hp x Wp), channel = head * head_dim + d. L is the config's ``memory_len``.
Slot s holds a frame iff s < min(count, L); the empty slots are masked out of the attention inside the
graph. Frame n of a video is written to slot n % L; once the memory is full that slot holds the oldest
entry, which ``'fifo'`` overwrites and ``'merge'`` first averages into the next-oldest, slot (n + 1) % L:
the ring buffer of PyTorch's :class:`~svm.models.layers.kv_memory.KVMemory`, slot for slot. The policy
is part of the graph (metadata ``svm.memory_policy``). A new video starts again from zeros and count 0.

The graph calls the model's own code: :class:`StreamingStep` runs ``SViT.forward(frame, state=...)`` with a
:class:`~svm.models.layers.kv_memory.StreamingState` of ``ExplicitKVMemory`` built on the input tensors, and
traces it with ``torch.onnx.export``. onnx and onnxruntime (requirements/optional_deploy.txt) are
imported only by the functions that need them.
"""
import copy
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from svm.models.layers.kv_memory import MEMORY_POLICIES, ExplicitKVMemory, StreamingState

MEMORY_LAYOUT = ('(2, B, L, Hp, Wp, C): [0] keys, [1] values; slot s = [:, :, s], a frame\'s keys/values on the '
                 '(window-padded) patch map, channel = head * head_dim + d; slot s holds a frame iff '
                 's < min(count, L); frame n goes to slot n % L; when full, fifo overwrites the oldest, merge '
                 'first averages it into slot (n + 1) % L as (next + oldest) * 0.5')
DEFAULT_OPSET = 17


class StreamingStep(nn.Module):
    """One streaming step of an SViT (and a neck on its outputs) with the memory given and returned:
    ``(frame, count, *memories) -> (*outputs, *new_memories, count + 1)`` (see the module docstring).

    The backbone's own streaming state is not touched (nor used), so the same modules also run PyTorch's
    streaming mode beside it. The policy and L are the backbone's.

    Args:
        backbone: an SViT with ``attn_mode`` 'stream' (or 'space', which has no memory).
        neck: applied to the backbone's outputs, e.g. the SimplePyramid of a MOT model; None for none.
    """

    def __init__(self, backbone: nn.Module, neck: Optional[nn.Module] = None) -> None:
        super().__init__()
        if backbone.attn_mode == 'clip':
            raise ValueError("attn_mode='clip' attends to the whole clip and has no streaming step to export")
        self.backbone = backbone
        self.neck = neck
        self.memory_blocks = tuple(i for i, memory in enumerate(backbone.init_state().memories) if memory is not None)
        self.memory_len = backbone.memory_len if self.memory_blocks else 0
        self.memory_policy = backbone.memory_policy

    def memory_shapes(self, batch: int, height: int, width: int) -> List[Tuple[int, ...]]:
        """The (2, B, L, Hp, Wp, C) shape of each memory input for frames of height x width."""
        p, C = self.backbone.patch_size, self.backbone.embed_dims
        h, w = height // p, width // p  # conv1's output
        if h < 1 or w < 1:
            raise ValueError(f'a {height}x{width} frame is smaller than one {p}x{p} patch')
        shapes = []
        for i in self.memory_blocks:
            ws = self.backbone.blocks[i].attn.window_size
            hp, wp = (h, w) if ws is None else (-(-h // ws) * ws, -(-w // ws) * ws)
            shapes.append((2, batch, self.memory_len, hp, wp, C))
        return shapes

    def initial_state(self, batch: int, height: int, width: int,
                      device: Optional[torch.device] = None) -> Tuple[Tensor, List[Tensor]]:
        """``count`` and the memories at the first frame of a video: 0 and zeros."""
        return (torch.zeros(1, dtype=torch.int64, device=device),
                [torch.zeros(s, device=device) for s in self.memory_shapes(batch, height, width)])

    def state_of_backbone(self) -> Tuple[Tensor, List[Tensor]]:
        """``count`` and the memories of the backbone's own streaming state (after PyTorch streaming steps) in
        this step's layout: a video streamed so far by PyTorch continues in the graph from here."""
        state = self.backbone.stream_state
        if not self.memory_blocks:  # 'space': no memory, and nothing that counts frames
            return torch.zeros(1, dtype=torch.int64), []
        count, = set(state.counts)  # explicit_state refuses streams of different counts
        return (torch.tensor([count], dtype=torch.int64),
                [state.memories[i].explicit_state() for i in self.memory_blocks])

    def input_names(self) -> List[str]:
        return ['frame', 'count'] + [f'memory_{i}' for i in self.memory_blocks]

    def output_names(self, num_outputs: int) -> List[str]:
        return ([f'out_{j}' for j in range(num_outputs)] + [f'memory_{i}_out' for i in self.memory_blocks]
                + ['count_out'])

    def forward(self, frame: Tensor, count: Tensor, *memories: Tensor) -> Tuple[Tensor, ...]:
        """
        Args:
            frame: (B, 3, H, W).
            count: (1,) int64, frames of the video before this one.
            memories: one (2, B, L, Hp, Wp, C) tensor per block of ``memory_blocks``.
        Returns:
            The outputs (of the neck if any, else of the backbone), the new memories, count + 1.
        """
        if len(memories) != len(self.memory_blocks):
            raise ValueError(f'{len(memories)} memories for the {len(self.memory_blocks)} blocks with a memory')
        explicit: List[Optional[ExplicitKVMemory]] = [None] * len(self.backbone.blocks)
        for i, memory in zip(self.memory_blocks, memories):
            explicit[i] = ExplicitKVMemory(memory, count, self.memory_policy)
        outs, _ = self.backbone(frame, state=StreamingState(explicit))
        if self.neck is not None:
            outs = self.neck(outs)
        return (*outs, *(explicit[i].new_memory for i in self.memory_blocks), count + 1)


def find_streaming_parts(model_cfg: dict) -> Tuple[dict, Optional[dict], str, str]:
    """The SViT config in a config's ``model`` and the SimplePyramid on it, if any, with the prefixes of
    their parameters in the whole model's state dict: (backbone, neck, backbone prefix, neck prefix).

    MOT configs: ``model.detector.backbone`` and ``model.detector.neck[0]`` (when a SimplePyramid);
    recognition configs: ``model.backbone``; a bare SViT ``model`` also works.
    """
    if model_cfg.get('type') == 'SViT':
        return model_cfg, None, '', ''
    detector = model_cfg.get('detector')
    if isinstance(detector, dict) and isinstance(detector.get('backbone'), dict):
        backbone, neck, neck_prefix = detector['backbone'], detector.get('neck'), 'detector.neck.'
        if isinstance(neck, (list, tuple)):
            neck, neck_prefix = (neck[0], 'detector.neck.0.') if neck else (None, '')
        if not (isinstance(neck, dict) and neck.get('type') == 'SimplePyramid'):
            neck = None
        parts = backbone, neck, 'detector.backbone.', neck_prefix
    elif isinstance(model_cfg.get('backbone'), dict):
        parts = model_cfg['backbone'], None, 'backbone.', ''
    else:
        raise ValueError(f'expected `model` to be an SViT or to hold one as model.backbone or '
                         f"model.detector.backbone, got model type {model_cfg.get('type')!r}")
    if parts[0].get('type') != 'SViT':
        raise ValueError(f"the streaming export needs an SViT backbone, got {parts[0].get('type')!r}")
    return parts


def _load_part(module: nn.Module, state_dict: dict, prefix: str, what: str, filename: str) -> None:
    part = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    if not part:
        raise ValueError(f'{filename} has no {what} weights (no key starts with {prefix!r}); its keys begin '
                         f'with {sorted({k.split(".")[0] for k in state_dict})}')
    missing, unexpected = module.load_state_dict(part, strict=False)
    if missing or unexpected:
        raise ValueError(f'{filename} does not fit the config\'s {what}: missing {missing[:10]}, '
                         f'unexpected {unexpected[:10]} (keys under {prefix!r})')


def build_streaming_step(cfg, checkpoint: Optional[str] = None, memory_policy: Optional[str] = None,
                         memory_len: Optional[int] = None) -> StreamingStep:
    """Build the :class:`StreamingStep` of a config (its SViT, and its SimplePyramid for MOT configs) in
    eval mode, with the weights of a whole-model ``checkpoint`` (an svm/mmengine training checkpoint) or,
    without one, the modules' initial weights (no CLIP download: ``pretrained`` is ignored).

    Args:
        cfg: an mmengine Config (or its ``model`` dict holder).
        checkpoint: path of a checkpoint of the whole model (``state_dict`` with the config's keys).
        memory_policy, memory_len: override the backbone's.
    """
    from svm.registry import MMDET_MODELS
    backbone_cfg, neck_cfg, backbone_prefix, neck_prefix = find_streaming_parts(cfg['model'])
    backbone_cfg = copy.deepcopy(dict(backbone_cfg))
    for key in ('pretrained', 'init_cfg'):
        backbone_cfg.pop(key, None)
    if memory_policy is not None:
        backbone_cfg['memory_policy'] = memory_policy
    if memory_len is not None:
        backbone_cfg['memory_len'] = memory_len
    backbone = MMDET_MODELS.build(backbone_cfg)  # SViT and SimplePyramid are in both model registries
    neck = MMDET_MODELS.build(copy.deepcopy(dict(neck_cfg))) if neck_cfg is not None else None
    if checkpoint is not None:
        from svm.utils.checkpoint import load_checkpoint_file
        state = load_checkpoint_file(checkpoint, map_location='cpu')
        state_dict = state.get('state_dict', state) if isinstance(state, dict) else state
        _load_part(backbone, state_dict, backbone_prefix, 'backbone', checkpoint)
        if neck is not None:
            _load_part(neck, state_dict, neck_prefix, 'SimplePyramid neck', checkpoint)
    return StreamingStep(backbone, neck).eval()


def export_streaming_onnx(step: StreamingStep, path: str, height: int, width: int, batch: int = 1,
                          opset_version: int = DEFAULT_OPSET) -> Dict:
    """Trace ``step`` for (batch, 3, height, width) frames and write the ONNX graph to ``path``.

    Returns:
        dict with ``inputs`` and ``outputs``: lists of (name, shape, dtype), and the ``metadata`` written
        into the graph (svm.memory_len, svm.memory_policy, svm.memory_blocks, svm.memory_layout,
        svm.frame_shape).
    """
    import onnx
    step = step.eval()
    count, memories = step.initial_state(batch, height, width)
    frame = torch.zeros(batch, 3, height, width)
    args = (frame, count, *memories)
    with torch.no_grad():
        results = step(*args)
    num_outputs = len(results) - len(memories) - 1
    input_names, output_names = step.input_names(), step.output_names(num_outputs)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(step, args, path, dynamo=False, input_names=input_names, output_names=output_names,
                          opset_version=opset_version, do_constant_folding=True)
    metadata = {
        'svm.memory_len': str(step.memory_len),
        'svm.memory_policy': step.memory_policy,
        'svm.memory_blocks': ','.join(str(i) for i in step.memory_blocks),
        'svm.memory_layout': MEMORY_LAYOUT,
        'svm.frame_shape': f'{batch},3,{height},{width}',
    }
    model = onnx.load(path)
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, path)

    def describe(names, tensors):
        return [(n, tuple(t.shape), str(t.dtype).replace('torch.', '')) for n, t in zip(names, tensors)]

    return dict(inputs=describe(input_names, args), outputs=describe(output_names, results), metadata=metadata)


class OnnxStreamingSession:
    """An exported streaming step on onnxruntime that carries the memory from frame to frame, as a
    deployment would: ``reset()`` at a new video, then ``step(frame)`` per frame.

    Args:
        path: the ONNX file of :func:`export_streaming_onnx`.
        providers: onnxruntime execution providers (default: CPU).
        threads: intra-op threads (default: onnxruntime's).
        spin: let idle threads spin between calls (onnxruntime's default; off where other work, such as
            PyTorch in :func:`verify_streaming_onnx`, runs between the calls).
    """

    def __init__(self, path: str, providers: Optional[Sequence[str]] = None, threads: Optional[int] = None,
                 spin: bool = True) -> None:
        import onnxruntime as ort
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        if not spin:
            options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        self.session = ort.InferenceSession(path, options, providers=list(providers or ['CPUExecutionProvider']))
        inputs = {i.name: i for i in self.session.get_inputs()}
        self.memory_names = [n for n in inputs if n.startswith('memory_')]
        self._memory_shapes = {n: tuple(inputs[n].shape) for n in self.memory_names}
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.feature_names = [n for n in self.output_names if n.startswith('out_')]
        self.reset()

    def reset(self) -> None:
        """Start a new video: count 0, empty memories."""
        self.state = {'count': np.zeros(1, dtype=np.int64)}
        self.state.update({n: np.zeros(s, dtype=np.float32) for n, s in self._memory_shapes.items()})

    def step(self, frame: np.ndarray) -> List[np.ndarray]:
        """The outputs ``out_<j>`` for the next frame (B, 3, H, W) of the video."""
        results = dict(zip(self.output_names, self.session.run(None, {'frame': frame, **self.state})))
        self.state = {'count': results['count_out']}
        self.state.update({n: results[f'{n}_out'] for n in self.memory_names})
        return [results[n] for n in self.feature_names]


def run_onnx_stream(path: str, frames: Sequence[np.ndarray]) -> List[List[np.ndarray]]:
    """The outputs of an exported streaming step for each frame of one video (a new memory at its start)."""
    session = OnnxStreamingSession(path)
    return [session.step(np.ascontiguousarray(f, dtype=np.float32)) for f in frames]


def _max_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float('inf')
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) if a.size else 0.0


@torch.no_grad()
def verify_streaming_onnx(path: str, step: StreamingStep, frames: Tensor,
                          reference: Optional[StreamingStep] = None) -> Dict:
    """Run the graph with onnxruntime over a video beside PyTorch's own streaming mode and compare.

    PyTorch: ``reference.backbone.reset_memory()``, then the frames one by one through the backbone (its
    :class:`KVMemory` ring buffers) and the neck. Compared at every frame: each output, and each block's
    memory (the graph's ``memory_<i>_out`` against ``KVMemory.explicit_state()``, and ``count_out``).
    The memory comparison sees a wrong slot or policy even where T2D's gate alpha is so small (1e-4 at
    initialisation) that the outputs hardly depend on the memory; ``memory_effect`` says how much they do:
    the largest change of an output when the same frame is encoded with an empty memory.

    Args:
        path: the ONNX file.
        step: the exported step (its backbone and neck are the default reference).
        frames: (N, B, 3, H, W), one video.
        reference: another step to compare with (e.g. with another policy, to see the check fail).
    Returns:
        dict: ``max_abs_diff`` (outputs and memory), ``outputs``, ``memory``, ``per_frame`` (the max abs
        diff at each frame), ``memory_effect``, ``frames``, ``memory_len``, ``memory_policy``.
    """
    reference = step if reference is None else reference
    reference.eval()
    backbone, neck = reference.backbone, reference.neck
    memoryless = copy.deepcopy(backbone)
    session = OnnxStreamingSession(path, spin=False)
    backbone.reset_memory()
    out_diff = mem_diff = effect = 0.0
    per_frame = []
    try:
        for frame in frames:
            got = session.step(frame.numpy())
            want = backbone(frame)
            memoryless.reset_memory()
            alone = memoryless(frame)
            if neck is not None:
                want, alone = neck(want), neck(alone)
            frame_out = max([_max_abs_diff(g, w.numpy()) for g, w in zip(got, want)] +
                            [float('inf') if len(got) != len(want) else 0.0])
            effect = max([effect] + [float((w - a).abs().max()) for w, a in zip(want, alone)])
            count, memories = reference.state_of_backbone()
            frame_mem = 0.0
            if memories and int(session.state['count'][0]) != int(count[0]):
                frame_mem = float('inf')
            if len(memories) != len(session.memory_names):
                frame_mem = float('inf')
            for name, memory in zip(session.memory_names, memories):
                frame_mem = max(frame_mem, _max_abs_diff(session.state[name], memory.numpy()))
            out_diff, mem_diff = max(out_diff, frame_out), max(mem_diff, frame_mem)
            per_frame.append(max(frame_out, frame_mem))
    finally:
        backbone.reset_memory()
    return dict(max_abs_diff=max(out_diff, mem_diff), outputs=out_diff, memory=mem_diff, per_frame=per_frame,
                memory_effect=effect, frames=len(per_frame), memory_len=step.memory_len,
                memory_policy=step.memory_policy, reference_policy=reference.memory_policy)


def require_deploy_packages(runtime: bool = False) -> None:
    """Raise an ImportError that says what to install when onnx (and, for ``runtime``, onnxruntime) is
    missing."""
    import importlib
    missing = []
    for name in ('onnx', 'onnxruntime') if runtime else ('onnx', ):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ImportError(f'{", ".join(missing)} not installed: pip install -r requirements/optional_deploy.txt')


def with_memory_policy(step: StreamingStep, policy: str) -> StreamingStep:
    """A copy of ``step`` whose blocks' memories follow ``policy`` (a reference for
    :func:`verify_streaming_onnx` that must disagree with a graph of another policy)."""
    check_memory_policy(policy)
    step = copy.deepcopy(step)
    step.backbone.memory_policy = step.memory_policy = policy
    step.backbone.stream_state = step.backbone.init_state()  # of the new policy
    return step


def format_graph_io(info: Dict) -> str:
    """The inputs and outputs of :func:`export_streaming_onnx`'s graph, one per line with shape and dtype."""
    lines = []
    for kind in ('inputs', 'outputs'):
        lines.append(f'{kind}:')
        lines += [f'  {name:16s} {str(shape):28s} {dtype}' for name, shape, dtype in info[kind]]
    return '\n'.join(lines)


def format_verify_report(result: Dict) -> str:
    """What :func:`verify_streaming_onnx` found, ending with the line ``max abs diff <value>``."""
    return '\n'.join([
        f'verify: {result["frames"]} frames through onnxruntime (memory_policy={result["memory_policy"]}) and '
        f'PyTorch streaming (memory_policy={result["reference_policy"]})',
        f'  outputs: max abs diff {result["outputs"]:.3g}',
        f'  memory (keys/values of every block, count): max abs diff {result["memory"]:.3g}',
        f'  memory effect (largest change of an output when a frame is encoded with an empty memory): '
        f'{result["memory_effect"]:.3g}',
        f'max abs diff {result["max_abs_diff"]:.3g}'])


def check_memory_policy(policy: Optional[str]) -> None:
    if policy is not None and policy not in MEMORY_POLICIES:
        raise ValueError(f'memory_policy must be one of {MEMORY_POLICIES}, got {policy!r}')
