"""The key/value memory of a block (KVMemory): policies, one buffer read along both T2D axes, streams with
their own counts, the explicit layout of the ONNX export; and StreamingState."""
import pytest
import torch

from svm.models.layers import KVMemory, StreamingState
from svm.models.layers.kv_memory import to_column_layout, to_row_layout

# (B, nh, wh, nw, ww, heads, hd) of the frames below: 2 x 3 windows of one map, one head of width 2
FRAME = (1, 1, 2, 1, 3, 1, 2)


def frame_kv(*values: float):
    """One frame's keys/values for B = len(values) streams, stream b all equal to values[b] (values: minus)."""
    k = torch.tensor(values).view(-1, 1, 1, 1, 1, 1, 1).expand(len(values), *FRAME[1:]).clone()
    return k, -k


def held_values(memory: KVMemory, stream: int = 0) -> list:
    """The values of the frames ``stream`` holds, read through both layouts (which must agree)."""
    k_col, v_col, k_row, v_row = memory.read()
    n = max(memory.lengths)
    valid = slice(None)
    col_mask, row_mask = memory.read_masks()
    if col_mask is not None:
        valid = row_mask[stream, 0, 0, ::3]  # one flag per slot
    col_slots = k_col[stream, 0, :n, 0]  # column w = 0, positions (h = 0, slot)
    row_slots = k_row[stream, 0, ::3, 0]  # row h = 0, positions (slot, w = 0)
    assert torch.equal(col_slots, row_slots) and torch.equal(-v_col[stream, 0, :n, 0], col_slots)
    return sorted(col_slots[valid].tolist())


@pytest.mark.parametrize('policy,expected', [
    ('fifo', [[1.], [1., 2.], [1., 2., 3.], [2., 3., 4.], [3., 4., 5.]]),
    # the oldest is averaged into the next-oldest: (1+2)/2, then (1.5+3)/2
    ('merge', [[1.], [1., 2.], [1., 2., 3.], [1.5, 3., 4.], [2.25, 4., 5.]]),
])
def test_memory_policies(policy, expected):
    memory = KVMemory(3, policy)
    with torch.no_grad():
        for step, want in enumerate(expected):
            memory.append(*frame_kv(step + 1.))
            assert held_values(memory) == pytest.approx(want)
    buffer = memory._buffer.data_ptr()
    memory.reset()
    assert memory.lengths == (0, )
    memory.append(*frame_kv(9.))
    assert memory._buffer.data_ptr() == buffer  # preallocated, reused
    assert held_values(memory) == [9.]
    with pytest.raises(ValueError, match='reset_memory'):
        memory.append(torch.zeros(1, 1, 4, 1, 3, 1, 2), torch.zeros(1, 1, 4, 1, 3, 1, 2))


def test_one_copy_of_keys_and_values_read_as_views_of_both_axes():
    memory = KVMemory(4)
    kv = [torch.randn(2, 2, 3, 2, 5, 3, 4) for _ in range(8)]  # 2 streams, 2 x 2 windows of 3 x 5, 3 heads
    with torch.no_grad():
        for step, k in enumerate(kv):
            memory.append(k, 2 * k)
            k_col, v_col, k_row, v_row = memory.read()
            held = torch.stack(kv[max(0, step - 3):step + 1], 1)  # (B, n, ...) in slot order while filling
            if step < 4:  # the ring buffer's slots are the frames in order
                torch.testing.assert_close(k_col, to_column_layout(held), atol=0, rtol=0)
                torch.testing.assert_close(v_row, to_row_layout(2 * held), atol=0, rtol=0)
    # one buffer of keys and values for 2 streams x 4 slots: what one layout of them takes
    assert memory.nbytes == 2 * 2 * 4 * (2 * 3) * (2 * 5) * 3 * 4 * 4
    storage = memory._buffer.untyped_storage().data_ptr()
    with torch.no_grad():
        for tensor in memory.read():  # full memory: strided views, no copies
            assert tensor.untyped_storage().data_ptr() == storage
    # order within a sequence is (h, slot) for columns and (slot, w) for rows: the same held frames
    slots = [step % 4 for step in range(4, 8)]
    expected = torch.stack([kv[4 + slots.index(s)] for s in range(4)], 1)
    with torch.no_grad():
        k_col, _, k_row, _ = memory.read()
    torch.testing.assert_close(k_col, to_column_layout(expected), atol=0, rtol=0)
    torch.testing.assert_close(k_row, to_row_layout(expected), atol=0, rtol=0)


def test_streams_keep_their_own_frames_across_a_reset():
    memory = KVMemory(3, 'merge')
    with torch.no_grad():
        for step in range(4):
            memory.append(*frame_kv(step + 1., 10 * (step + 1.)))
        assert held_values(memory, 0) == [1.5, 3., 4.] and held_values(memory, 1) == [15., 30., 40.]
        memory.reset([1])
        assert memory.counts == (4, 0)
        memory.append(*frame_kv(5., 50.))  # stream 0 merges on, stream 1 starts a new video
        assert memory.counts == (5, 1)
        assert held_values(memory, 0) == [2.25, 4., 5.] and held_values(memory, 1) == [50.]
        memory.append(*frame_kv(6., 60.))
        assert held_values(memory, 1) == [50., 60.]
    with pytest.raises(IndexError, match='stream 2 does not exist: the memory holds 2 streams'):
        memory.reset([2])
    with pytest.raises(ValueError, match='frames of 3 streams for a memory of 2'):
        memory.append(*frame_kv(1., 2., 3.))
    memory.reset()
    memory.append(*frame_kv(1., 2., 3.))  # every stream reset: a new number of streams
    assert memory.counts == (1, 1, 1)


def test_explicit_state_needs_one_count():
    memory = KVMemory(2)
    with pytest.raises(RuntimeError, match='empty'):
        memory.explicit_state()
    memory.append(*frame_kv(1., 2.))
    state = memory.explicit_state()
    assert state.shape == (2, 2, 2, 2, 3, 2) and state[0, :, 0, 0, 0, 0].tolist() == [1., 2.]
    assert not state[:, :, 1].any()  # the empty slot
    memory.reset([0])
    memory.append(*frame_kv(3., 4.))
    with pytest.raises(ValueError, match=r'different numbers of frames \(1, 2\)'):
        memory.explicit_state()


def test_streaming_state_resets_moves_and_counts():
    state = StreamingState([KVMemory(2), None, KVMemory(2)])
    assert state.counts == () and state.nbytes == 0
    state.reset([0])  # nothing to forget before the first frame
    for memory in state.memories[::2]:
        memory.append(*frame_kv(1., 2.))
    assert state.counts == (1, 1) and state.nbytes == 2 * 2 * 2 * 2 * 3 * 2 * 4 * 2
    state.reset(torch.tensor([1]))
    assert [m.counts for m in state.memories[::2]] == [(1, 0), (1, 0)]
    state.to(torch.float64)
    assert state.memories[0]._buffer.dtype == torch.float64 and state.counts == (1, 0)
    state.release()
    assert state.nbytes == 0 and state.counts == ()


def test_streams_end_and_join():
    memory = KVMemory(2)
    memory.add_streams(2)  # nothing to add to before the first frame
    memory.append(*frame_kv(1., 2., 3.))
    memory.keep([2, 0])  # stream 1 ends; the others keep their frames, in the new order
    assert memory.counts == (1, 1) and held_values(memory, 0) == [3.] and held_values(memory, 1) == [1.]
    memory.add_streams(1)
    memory.append(*frame_kv(4., 5., 6.))
    assert memory.counts == (2, 2, 1)
    assert [held_values(memory, b) for b in range(3)] == [[3., 4.], [1., 5.], [6.]]
    with pytest.raises(IndexError, match='stream 3 does not exist'):
        memory.keep([3])
