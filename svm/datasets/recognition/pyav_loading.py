"""PyAV video opening that also works for containers without a frame count (WebM, Matroska)."""
from mmaction.datasets.transforms import PyAVInit

from svm.registry import MMACTION_TRANSFORMS


@MMACTION_TRANSFORMS.register_module()
class PyAVInitWithFrameCount(PyAVInit):
    """mmaction2's ``PyAVInit``, counting the frames when the container does not store their number.

    WebM/Matroska files (Something-Something V2's .webm videos) carry no frame count, so ``PyAVInit``
    reports ``total_frames = 0`` and frame sampling then fails. Here the video packets are counted
    (demuxing only, no decoding) and the container is rewound for ``PyAVDecode``. Use it in place of
    ``PyAVInit``: ``dict(type='PyAVInitWithFrameCount')``.
    """

    def transform(self, results: dict) -> dict:
        results = super().transform(results)
        if results['total_frames'] <= 0:
            container = results['video_reader']
            stream = container.streams.video[0]
            results['total_frames'] = sum(1 for packet in container.demux(stream) if packet.size)
            container.seek(0)
        if results['total_frames'] <= 0:
            raise ValueError(f'{results["filename"]}: no video frames found')
        return results
