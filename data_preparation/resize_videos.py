"""Re-encode a folder of videos to a fixed short side, as H.264 mp4.

The folder layout is mirrored: ``SRC_DIR/a/b.avi`` becomes
``DST_DIR/a/b.mp4``. Outputs keep the aspect ratio with even dimensions,
have no audio and a keyframe at least every ``--gop`` frames (short GOPs
make the random access of frame samplers faster). FFmpeg is used if it is
on ``PATH``, else PyAV. Existing outputs are skipped, so an interrupted run
resumes where it stopped (outputs are written to a temporary file and then
renamed). Failures are counted, printed and listed with their paths in
``--log-file``; the exit status is 1 if any video failed.

Example::

    python data_preparation/resize_videos.py \\
        data/ucf101/videos data/ucf101/videos_320p --workers 8
"""
import argparse
import multiprocessing
import os
import os.path as osp
import shutil
import subprocess
import sys
from contextlib import contextmanager
from fractions import Fraction
from functools import partial
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import av
from tqdm import tqdm

if not __package__:  # run as a script: put the repository root on path
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from data_preparation.common import (MPEG4_BIT_RATE, pyav_video_codec,
                                     replace_ext)

VIDEO_EXTS = ('mp4', 'avi', 'webm', 'mkv', 'mov', 'flv', 'mpg', 'mpeg')


def find_videos(src_dir: str, exts: Sequence[str] = VIDEO_EXTS) -> List[str]:
    """List the videos under ``src_dir``, recursively.

    Args:
        src_dir (str): The folder to search.
        exts (Sequence[str]): Video file extensions, without the dot,
            compared case-insensitively. Defaults to :data:`VIDEO_EXTS`.

    Returns:
        list[str]: Sorted paths relative to ``src_dir``.
    """
    if not osp.isdir(src_dir):
        raise FileNotFoundError(f'Video folder not found: {src_dir}')
    suffixes = tuple('.' + ext.lower().lstrip('.') for ext in exts)
    videos = []
    for root, _, files in os.walk(src_dir):
        videos += [
            osp.relpath(osp.join(root, name), src_dir) for name in files
            if name.lower().endswith(suffixes)
        ]
    return sorted(videos)


def output_size(width: int, height: int, short_side: int) -> Tuple[int, int]:
    """Scale ``(width, height)`` to ``short_side``, keeping the aspect.

    Args:
        width (int): The input width.
        height (int): The input height.
        short_side (int): The target length of the shorter side.

    Returns:
        tuple[int, int]: The output ``(width, height)``, both even.
    """
    scale = short_side / min(width, height)
    return _even(width * scale), _even(height * scale)


def _even(length: float) -> int:
    return max(2, int(round(length / 2)) * 2)


def resize_ffmpeg(src: str, dst: str, short_side: int, gop: int,
                  crf: int) -> None:
    """Re-encode one video with the ``ffmpeg`` command line tool.

    Args:
        src (str): The input video.
        dst (str): The output mp4 file.
        short_side (int): The target length of the shorter side, even.
        gop (int): The maximum number of frames between keyframes.
        crf (int): The libx264 constant rate factor (lower is better).
    """
    scale = (f"scale='if(lte(iw,ih),{short_side},-2)'"
             f":'if(lte(iw,ih),-2,{short_side})'")
    cmd = [
        'ffmpeg', '-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i',
        src, '-vf', scale, '-an', '-c:v', 'libx264', '-preset', 'veryfast',
        '-crf', f'{crf}', '-g', f'{gop}', '-pix_fmt', 'yuv420p', '-f', 'mp4',
        dst
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        lines = result.stderr.strip().splitlines() or ['no message']
        raise RuntimeError(f'ffmpeg exited with {result.returncode}: '
                           f'{lines[-1]}')


def resize_pyav(src: str, dst: str, short_side: int, gop: int,
                crf: int) -> None:
    """Re-encode one video with PyAV, at the input's average frame rate.

    Args:
        src (str): The input video.
        dst (str): The output mp4 file.
        short_side (int): The target length of the shorter side.
        gop (int): The maximum number of frames between keyframes.
        crf (int): The libx264 constant rate factor (lower is better);
            unused if PyAV has no libx264 and mpeg4 is used.
    """
    codec = pyav_video_codec()
    options = {}
    if codec == 'libx264':
        options = dict(crf=str(crf), preset='veryfast')
    with av.open(src) as source, av.open(dst, 'w', format='mp4') as target:
        if not source.streams.video:
            raise ValueError('no video stream')
        in_stream = source.streams.video[0]
        in_stream.thread_type = 'AUTO'
        rate = Fraction(in_stream.average_rate or in_stream.guessed_rate
                        or 30).limit_denominator(100000)
        out_stream = target.add_stream(codec, rate=rate, options=options)
        out_stream.width, out_stream.height = output_size(
            in_stream.codec_context.width, in_stream.codec_context.height,
            short_side)
        out_stream.pix_fmt = 'yuv420p'
        out_stream.codec_context.gop_size = gop
        if codec != 'libx264':
            out_stream.codec_context.bit_rate = MPEG4_BIT_RATE
        num_frames = _transcode(
            source.decode(in_stream), target, out_stream, 1 / rate)
    if not num_frames:
        raise ValueError('no frame decoded')


def _transcode(frames: Iterator[av.VideoFrame], target: av.container.Container,
               stream: av.video.stream.VideoStream,
               time_base: Fraction) -> int:
    """Encode ``frames`` at a constant rate; return how many."""
    num_frames = 0
    for num_frames, frame in enumerate(frames, 1):
        frame = frame.reformat(
            width=stream.width,
            height=stream.height,
            format='yuv420p',
            interpolation='BICUBIC')
        frame.pts = num_frames - 1
        frame.time_base = time_base
        target.mux(stream.encode(frame))
    target.mux(stream.encode())
    return num_frames


def convert(task: Tuple[str, str], backend: str, short_side: int, gop: int,
            crf: int) -> Tuple[str, Optional[str]]:
    """Re-encode one video through a temporary file; never raise.

    Args:
        task (tuple[str, str]): The input and output paths.
        backend (str): 'ffmpeg' or 'pyav'.
        short_side (int): The target length of the shorter side.
        gop (int): The maximum number of frames between keyframes.
        crf (int): The libx264 constant rate factor.

    Returns:
        tuple[str, str | None]: The input path and the error message, None
        on success.
    """
    src, dst = task
    tmp = dst + '.tmp'
    resize = resize_ffmpeg if backend == 'ffmpeg' else resize_pyav
    try:
        os.makedirs(osp.dirname(dst), exist_ok=True)
        resize(src, tmp, short_side, gop, crf)
        os.replace(tmp, dst)
    except Exception as error:  # one bad video must not stop the others
        if osp.exists(tmp):
            os.remove(tmp)
        return src, f'{type(error).__name__}: {error}'
    return src, None


def resize_videos(src_dir: str,
                  dst_dir: str,
                  short_side: int = 320,
                  gop: int = 16,
                  crf: int = 23,
                  workers: int = 1,
                  backend: str = 'auto',
                  log_file: Optional[str] = None,
                  exts: Sequence[str] = VIDEO_EXTS) -> Dict[str, int]:
    """Re-encode every video under ``src_dir`` into ``dst_dir``.

    Args:
        src_dir (str): The input folder, searched recursively.
        dst_dir (str): The output folder, mirroring ``src_dir``.
        short_side (int): The target length of the shorter side, even.
            Defaults to 320.
        gop (int): The maximum number of frames between keyframes.
            Defaults to 16.
        crf (int): The libx264 constant rate factor. Defaults to 23.
        workers (int): The number of worker processes. Defaults to 1.
        backend (str): 'ffmpeg', 'pyav' or 'auto' (ffmpeg if on PATH).
            Defaults to 'auto'.
        log_file (str, optional): Where to list the failures, one
            ``path<TAB>error`` line each; it is rewritten by every run.
            Defaults to ``dst_dir/resize_failures.log``.
        exts (Sequence[str]): The input extensions.
            Defaults to :data:`VIDEO_EXTS`.

    Returns:
        dict[str, int]: The counts of ``total``, ``resized``, ``skipped``
        (output already there) and ``failed`` videos.
    """
    if short_side < 2 or short_side % 2:
        raise ValueError(f'short_side must be even, got {short_side}')
    if backend == 'auto':
        backend = 'ffmpeg' if shutil.which('ffmpeg') else 'pyav'
    log_file = log_file or osp.join(dst_dir, 'resize_failures.log')
    tasks = []
    for video in find_videos(src_dir, exts):
        dst = osp.join(dst_dir, replace_ext(video, 'mp4'))
        tasks.append((osp.join(src_dir, video), dst))
    todo = [task for task in tasks if not osp.isfile(task[1])]
    counts = dict(
        total=len(tasks), resized=0, skipped=len(tasks) - len(todo), failed=0)
    print(f'{len(tasks)} videos in {src_dir}, {counts["skipped"]} already '
          f'done; resizing with {backend}')

    os.makedirs(osp.dirname(osp.abspath(log_file)), exist_ok=True)
    job = partial(
        convert, backend=backend, short_side=short_side, gop=gop, crf=crf)
    with open(log_file, 'w') as log, _imap(workers) as imap:
        for src, error in tqdm(imap(job, todo), total=len(todo)):
            if error is None:
                counts['resized'] += 1
                continue
            counts['failed'] += 1
            tqdm.write(f'Failed: {src}: {error}')
            log.write(f'{src}\t{error}\n')
            log.flush()
    print(f'Resized {counts["resized"]}, skipped {counts["skipped"]}, '
          f'failed {counts["failed"]} of {counts["total"]} videos'
          f' (failures listed in {log_file})')
    return counts


@contextmanager
def _imap(workers: int) -> Iterator[Callable]:
    """Yield a process pool's ``imap_unordered``, or ``map`` if one."""
    if workers <= 1:
        yield map
        return
    with multiprocessing.Pool(workers) as pool:
        yield pool.imap_unordered


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Re-encode videos to a fixed short side (H.264 mp4)')
    parser.add_argument('src_dir', help='input folder, searched recursively')
    parser.add_argument('dst_dir', help='output folder, mirrors src_dir')
    parser.add_argument(
        '--short-side', type=int, default=320, help='even target size')
    parser.add_argument(
        '--gop', type=int, default=16, help='max frames between keyframes')
    parser.add_argument(
        '--crf', type=int, default=23, help='libx264 quality (lower=better)')
    parser.add_argument(
        '--workers', type=int, default=4, help='worker processes')
    parser.add_argument(
        '--backend',
        choices=('auto', 'ffmpeg', 'pyav'),
        default='auto',
        help='auto: ffmpeg if on PATH, else PyAV')
    parser.add_argument(
        '--log-file', help='failure list (default: in DST_DIR)')
    parser.add_argument(
        '--exts', nargs='+', default=VIDEO_EXTS, help='input extensions')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    counts = resize_videos(args.src_dir, args.dst_dir, args.short_side,
                           args.gop, args.crf, args.workers, args.backend,
                           args.log_file, args.exts)
    sys.exit(1 if counts['failed'] else 0)


if __name__ == '__main__':
    main()
