"""EVI-MAE's per-device spectrogram-image tokens of IMU signals."""
import torch
from torch import nn

from mmvmae.registry import MODELS
from .imu_patch_embed import check_imu_shape


@MODELS.register_module()
class IMUSpectrogramEmbed(nn.Module):
    """Per device: a dB spectrogram per channel, cut into square patches.

    Each channel, with its mean removed, gets a power spectrogram
    ``|STFT|^2`` (``torch.stft`` with a periodic Hann window of
    ``win_length`` zero-padded to ``n_fft``, centred frames, reflect
    padding), converted to ``10 * log10(max(p, 1e-10))`` dB (torchaudio's
    ``Spectrogram`` + ``AmplitudeToDB`` defaults). The first ``num_freqs``
    bins and the first ``samples // hop_length`` frames are kept and
    normalized as ``(dB - db_mean) / db_std``. A device's channels are the
    input channels of one image of shape (``num_freqs``, frames), frequency
    rows by time columns as in EVI-MAE, cut by a ``Conv2d`` into
    ``patch_size`` squares; tokens are in (freq, time) row-major order.
    EVI-MAE: 320 samples, ``n_fft=256``, ``win_length=24``, hop 1, 128
    bins, 16x16 patches -> 8 x 20 = 160 tokens per device; statistics
    CMU-MMAC -69.8 / 23.5 (pretraining), WEAR -54.33 / 26.04.

    Args:
        in_channels (int): Channels per device. Defaults to 3.
        embed_dims (int): Token width. Defaults to 768.
        patch_size (int): Square patch size. Defaults to 16.
        n_fft (int): FFT size. Defaults to 256.
        win_length (int): Hann window length. Defaults to 24.
        hop_length (int): Hop in samples. Defaults to 1.
        num_freqs (int): Frequency bins kept (at most ``n_fft // 2 + 1``).
            Defaults to 128.
        db_mean (float): Mean of the dB values. Defaults to -69.8.
        db_std (float): Std of the dB values. Defaults to 23.5.
    """

    def __init__(self,
                 in_channels: int = 3,
                 embed_dims: int = 768,
                 patch_size: int = 16,
                 n_fft: int = 256,
                 win_length: int = 24,
                 hop_length: int = 1,
                 num_freqs: int = 128,
                 db_mean: float = -69.8,
                 db_std: float = 23.5) -> None:
        super().__init__()
        if not 0 < num_freqs <= n_fft // 2 + 1:
            raise ValueError(f'num_freqs={num_freqs} must be in 1..'
                             f'{n_fft // 2 + 1} for n_fft={n_fft}')
        if num_freqs % patch_size:
            raise ValueError(f'num_freqs={num_freqs} is not divisible by '
                             f'patch_size={patch_size}')
        if not 0 < win_length <= n_fft:
            raise ValueError(f'win_length={win_length} must be in 1..{n_fft}')
        if db_std <= 0:
            raise ValueError(f'db_std must be positive, got {db_std}')
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.patch_size = patch_size
        self.n_fft = n_fft
        self.win_length = win_length
        self.hop_length = hop_length
        self.num_freqs = num_freqs
        self.db_mean = db_mean
        self.db_std = db_std
        self.register_buffer(
            'window', torch.hann_window(win_length), persistent=False)
        self.projection = nn.Conv2d(
            in_channels, embed_dims, patch_size, stride=patch_size)

    def num_tokens(self, num_samples: int) -> int:
        """Tokens per device for windows of ``num_samples``.

        Raises:
            ValueError: If the window is too short for the FFT's reflect
                padding or its frame count is not divisible by the patch.
        """
        if num_samples <= self.n_fft // 2:
            raise ValueError(f'{num_samples} IMU samples are too few for '
                             f'n_fft={self.n_fft} (need > {self.n_fft // 2})')
        frames = num_samples // self.hop_length
        if frames % self.patch_size:
            raise ValueError(
                f'{num_samples} samples give {frames} frames at hop_length='
                f'{self.hop_length}, not divisible by '
                f'patch_size={self.patch_size}')
        return frames // self.patch_size * (self.num_freqs // self.patch_size)

    def spectrogram(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D, C, S) signals -> normalized dB images (B, D, C, F, T)."""
        check_imu_shape(x, self.in_channels)
        self.num_tokens(x.shape[-1])
        signal = x.float().flatten(0, 2)
        signal = signal - signal.mean(-1, keepdim=True)
        stft = torch.stft(signal, self.n_fft, self.hop_length,
                          self.win_length, self.window, center=True,
                          pad_mode='reflect', return_complex=True)
        power = stft.real.square() + stft.imag.square()
        frames = x.shape[-1] // self.hop_length
        db = 10 * torch.log10(power[:, :self.num_freqs, :frames].clamp(
            min=1e-10))
        db = (db - self.db_mean) / self.db_std
        return db.reshape(*x.shape[:3], self.num_freqs, frames).to(x.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D, C, S) signals -> (B, D, N, E) tokens."""
        images = self.spectrogram(x)
        b, d = images.shape[:2]
        tokens = self.projection(images.flatten(0, 1)).flatten(2)
        return tokens.transpose(1, 2).reshape(b, d, -1, self.embed_dims)
