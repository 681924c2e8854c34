"""Running-cell decoder masking (VideoMAE V2 dual masking)."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmvmae.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RunningCellDecoderMask(BaseTransform):
    """Choose the tokens the decoder reconstructs (``decoder_ids``).

    Each 2x2 spatial cell holds a queue of four slots of which
    ``int(4 * ratio)`` are dropped from the decoder; the queue shifts by one
    slot per temporal slice, so every location is decoded in the same share
    of slices, and a random phase is drawn per sample. The decoder-kept set
    includes encoder-visible tokens (they get loss weight 0). With ratio 0
    the decoder predicts exactly the encoder-masked tokens (VideoMAE V1).

    Must follow an encoder mask generator (it reads ``token_grid`` and
    ``masked_ids``).

    Args:
        ratio (float): Fraction of tokens dropped from the decoder; 0 or a
            value with ``0 < int(4 * ratio) < 4``. Defaults to 0.5.
    """

    def __init__(self, ratio: float = 0.5) -> None:
        dropped = int(4 * ratio)
        if ratio != 0 and not 0 < dropped < 4:
            raise ValueError(f'running-cell ratio {ratio} drops {dropped} '
                             'of 4 cell slots; it must drop 1, 2 or 3 '
                             '(or use ratio 0)')
        self.ratio = ratio
        self.queue = np.array([1] * dropped + [0] * (4 - dropped), bool)

    def transform(self, results: Dict) -> Dict:
        """Add ``decoder_ids`` (sorted int64) to ``results``."""
        if 'token_grid' not in results:
            raise KeyError('RunningCellDecoderMask must follow an encoder '
                           'mask generator such as TubeMaskGenerator')
        if self.ratio == 0:
            results['decoder_ids'] = results['masked_ids'].copy()
            return results
        t, h, w = results['token_grid']
        if h % 2 or w % 2:
            raise ValueError(f'running-cell masking needs an even token '
                             f'grid, got {h}x{w}')
        phase = np.random.randint(4)
        dropped = np.stack([
            np.tile(np.roll(self.queue, -(i + phase)).reshape(2, 2),
                    (h // 2, w // 2)) for i in range(t)
        ])
        results['decoder_ids'] = np.flatnonzero(~dropped).astype(np.int64)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(ratio={self.ratio})'
