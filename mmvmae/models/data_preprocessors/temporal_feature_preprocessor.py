"""Batch variable-length feature sequences with padding."""
import math
from typing import Optional

from mmengine.model import BaseDataPreprocessor

from mmvmae.registry import MODELS


@MODELS.register_module()
class TemporalFeaturePreprocessor(BaseDataPreprocessor):
    """Pad (C, T_i) feature sequences into one (B, C, T) batch.

    ActionFormer's batching: in training every batch is padded to
    ``max_seq_len`` (longer sequences are an error: truncate them in the
    pipeline); in testing to ``max_seq_len``, or to the next multiple of
    ``size_divisor`` for longer sequences. The valid length of each sample
    stays in its ``num_features`` metainfo (the detector's mask).

    Args:
        max_seq_len (int): Padded length (a multiple of ``size_divisor``).
        size_divisor (int): Test lengths are rounded up to a multiple of it
            (at least the largest pyramid stride). Defaults to 1.
        pad_value (float): Value of padded steps. Defaults to 0.
        non_blocking (bool): Asynchronous host-to-device copies.
            Defaults to False.
    """

    def __init__(self,
                 max_seq_len: int,
                 size_divisor: int = 1,
                 pad_value: float = 0.,
                 non_blocking: Optional[bool] = False) -> None:
        super().__init__(non_blocking)
        if max_seq_len % size_divisor:
            raise ValueError(f'max_seq_len {max_seq_len} is not a multiple '
                             f'of size_divisor {size_divisor}')
        self.max_seq_len = max_seq_len
        self.size_divisor = size_divisor
        self.pad_value = pad_value

    def padded_length(self, longest: int, training: bool) -> int:
        """Length a batch whose longest sequence is ``longest`` gets."""
        if training or longest <= self.max_seq_len:
            return self.max_seq_len
        return math.ceil(longest / self.size_divisor) * self.size_divisor

    def forward(self, data: dict, training: bool = False) -> dict:
        """Move to the device and pad; ``inputs`` becomes (B, C, T)."""
        data = self.cast_data(data)
        inputs, samples = data['inputs'], data.get('data_samples')
        lengths = [x.shape[-1] for x in inputs]
        channels = {x.shape[0] for x in inputs}
        if len(channels) != 1:
            raise ValueError(f'feature widths differ in a batch: {channels}')
        if training and max(lengths) > self.max_seq_len:
            names = [s.metainfo.get('video_id') for s in samples or []]
            raise ValueError(
                f'training sequences of {lengths} features ({names}) exceed '
                f'max_seq_len {self.max_seq_len}; add RandomFeatureTruncation'
                ' to the pipeline')
        length = self.padded_length(max(lengths), training)
        batch = inputs[0].new_full((len(inputs), channels.pop(), length),
                                   self.pad_value)
        for row, x in zip(batch, inputs):
            row[:, :x.shape[-1]] = x
        return dict(inputs=batch, data_samples=samples)
