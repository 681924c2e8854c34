"""Where a video's companion data lives and which time span a clip covers.

Shared by the loaders of data that come beside a video (audio, IMU, score
maps).
"""
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np


def companion_path(template: str, video: str) -> str:
    """Fill ``template`` (``{dirname}``, ``{basename}``, ``{stem}``) for
    ``video``, e.g. ``'{dirname}/../audio/{stem}.wav'``."""
    basename = osp.basename(video)
    return osp.normpath(template.format(
        dirname=osp.dirname(video), basename=basename,
        stem=osp.splitext(basename)[0]))


def clip_spans(results: Dict, loader: str,
               modality: str) -> List[Tuple[float, float]]:
    """(t0, t1) in seconds of video time of each sampled clip:
    ``t0 = frame_inds[0] / fps``, ``t1 = (frame_inds[-1] + 1) / fps``.

    Args:
        results (dict): Pipeline results after frame sampling.
        loader (str): Name of the calling transform, for messages.
        modality (str): What is loaded (``'audio'``), for messages.

    Raises:
        KeyError: If the frame rate is missing.
        ValueError: If a clip's frames wrap around the end of the video.
    """
    name = results['filename']
    fps = results.get('avg_fps', results.get('fps'))
    if fps is None or not fps > 0:
        raise KeyError(f'{name}: {loader} needs the video frame rate '
                       "('avg_fps' from DecordInit, or 'fps'), got "
                       f'{fps!r}')
    inds = np.asarray(results['frame_inds']).reshape(-1)
    num_clips = results.get('num_clips', 1)
    if inds.size % num_clips:
        raise ValueError(f'{name}: {inds.size} frame_inds do not split '
                         f'into num_clips={num_clips} clips')
    inds = inds.reshape(num_clips, -1) - results.get('start_index', 0)
    spans = []
    for clip in inds:
        if clip[-1] < clip[0]:
            raise ValueError(
                f'{name}: clip frames {clip[0]}..{clip[-1]} wrap around '
                f'the video end; {modality} windows need non-decreasing '
                "frame_inds (SampleFrames out_of_bound_opt='repeat_last')")
        spans.append((clip[0] / fps, (clip[-1] + 1) / fps))
    return spans
