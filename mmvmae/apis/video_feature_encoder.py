"""The video encoder of any mmvmae config with its normalization, loaded
from a checkpoint, as one module: uint8 windows -> pooled features."""
import copy
import logging
from dataclasses import dataclass
from typing import Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from torch import nn

from mmvmae.models.algorithms.multimodal_mae import IMAGENET_VIDEO, VIDEO
from mmvmae.registry import MODELS
from mmvmae.utils.encoder_checkpoint import load_encoder_checkpoint

# mmaction2's recognizers build this when a config has no preprocessor.
MMACTION_DEFAULT_PREPROCESSOR = dict(type='ActionDataPreprocessor')


def video_encoder_config(cfg: Config) -> Tuple[dict, str]:
    """The video encoder config of a model and its checkpoint prefix.

    ``model.backbone`` (VideoMAE family, ``Recognizer3D``,
    ``MaskedVideoText``) or ``model.encoders.imgs`` (multimodal MAEs and
    ``AudioVisualRecognizer``).

    Raises:
        ValueError: If the model has neither.
    """
    model = cfg.model
    if model.get('backbone') is not None:
        return copy.deepcopy(dict(model.backbone)), 'backbone.'
    encoders = model.get('encoders') or {}
    if VIDEO in encoders:
        return copy.deepcopy(dict(encoders[VIDEO])), f'encoders.{VIDEO}.'
    raise ValueError(
        f'the model ({model.get("type")}) has no video encoder: expected '
        f'model.backbone or model.encoders.{VIDEO}')


def video_preprocessor_config(cfg: Config) -> dict:
    """The data preprocessor config the model applies to its video.

    The model's ``data_preprocessor``, else the config's top-level one (the
    runner merges it into the model), else the model's own default:
    ImageNet mean / std for mmvmae models, none (no normalization) for
    mmaction2's. Of a multimodal preprocessor, the video's entry. Batch
    blending (mixup / cutmix) is dropped: it only runs in training.

    Raises:
        ValueError: If the model type is unknown or a multimodal
            preprocessor has no video entry.
    """
    model = cfg.model
    preprocessor = model.get('data_preprocessor') or cfg.get(
        'data_preprocessor')
    if preprocessor is None:
        model_cls = MODELS.get(model.type)
        if model_cls is None:
            raise ValueError(f'unknown model type {model.type!r}')
        if model_cls.__module__.startswith('mmvmae.'):
            preprocessor = IMAGENET_VIDEO
        else:
            print_log(
                f'the config has no data_preprocessor: {model.type} does '
                'not normalize its input', logger='current',
                level=logging.WARNING)
            preprocessor = MMACTION_DEFAULT_PREPROCESSOR
    preprocessor = copy.deepcopy(dict(preprocessor))
    if 'preprocessors' in preprocessor:
        if VIDEO not in preprocessor['preprocessors']:
            raise ValueError(
                f'the multimodal data_preprocessor has no {VIDEO!r} entry: '
                f'{sorted(preprocessor["preprocessors"])}')
        preprocessor = dict(preprocessor['preprocessors'][VIDEO])
    preprocessor.pop('blending', None)
    return preprocessor


class VideoFeatureEncoder(nn.Module):
    """Normalization and video encoder: uint8 windows -> one feature each.

    The encoder is built with ``out_type='avg'``: the mean over all tokens
    of a window, through the encoder's own final norm (``norm`` before the
    mean for a pretraining encoder, ``fc_norm`` after it for a fine-tuned
    one), i.e. exactly ``encoder(preprocessed clip)``.

    Args:
        encoder (nn.Module): A ``VideoViT``-like encoder (``patch_embed``
            with ``patch_size`` / ``tubelet_size``, ``grid``,
            ``embed_dims``).
        preprocessor (nn.Module): The model's video data preprocessor.
    """

    def __init__(self, encoder: nn.Module, preprocessor: nn.Module) -> None:
        super().__init__()
        missing = [
            name for name in ('patch_embed', 'grid', 'embed_dims')
            if not hasattr(encoder, name)
        ]
        if missing:
            raise ValueError(
                f'{type(encoder).__name__} is not a video ViT encoder '
                f'(lacks {missing})')
        self.encoder = encoder.eval()
        self.preprocessor = preprocessor
        self.patch_size = encoder.patch_embed.patch_size
        self.tubelet_size = encoder.patch_embed.tubelet_size
        # The grid the encoder (its position table) was built for.
        self.num_frames = encoder.grid[0] * self.tubelet_size
        self.input_size = encoder.grid[1] * self.patch_size
        self.feature_dim = encoder.embed_dims

    def check_input(self, clip_len: int, input_size: int) -> None:
        """Fail early on a window the patch embedding cannot cut.

        Raises:
            ValueError: Naming the size and the patch / tubelet size.
        """
        if clip_len % self.tubelet_size:
            raise ValueError(f'clip_len={clip_len} is not a multiple of the '
                             f'tubelet size {self.tubelet_size}')
        if input_size % self.patch_size:
            raise ValueError(f'input size {input_size} is not a multiple of '
                             f'the patch size {self.patch_size}')

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        """Features of windows.

        Args:
            clips (Tensor): uint8 windows (B, T, H, W, 3), RGB.

        Returns:
            Tensor: (B, C) float features.
        """
        inputs = list(clips.permute(0, 4, 1, 2, 3))
        data = self.preprocessor(dict(inputs=inputs, data_samples=None))
        return self.encoder(data['inputs'])


@dataclass
class LoadedVideoEncoder:
    """What :func:`build_video_feature_encoder` built and loaded.

    Attributes:
        module (VideoFeatureEncoder): The encoder with its normalization
            (CPU, eval mode).
        encoder_cfg (dict): The encoder config it was built from.
        preprocessor_cfg (dict): The video data preprocessor config.
        prefix (str): Key prefix of the encoder in the checkpoint.
        message (str): What was loaded, for the log.
    """
    module: VideoFeatureEncoder
    encoder_cfg: dict
    preprocessor_cfg: dict
    prefix: str
    message: str


def build_video_feature_encoder(config: Union[str, Config],
                                checkpoint: str,
                                prefix: Optional[str] = None
                                ) -> LoadedVideoEncoder:
    """Build the video encoder of a config and load it from a checkpoint.

    The encoder's ``init_cfg`` is dropped (the checkpoint gives every
    weight) and its ``out_type`` set to ``'avg'``. The checkpoint is read
    with ``torch.load(weights_only=True)`` in any layout of
    :func:`~mmvmae.utils.encoder_checkpoint.load_encoder_checkpoint`
    (mmvmae / mmaction2, official VideoMAE / V2, transformers), strictly.

    Args:
        config (str | Config): A pretraining or fine-tuning config.
        checkpoint (str): Checkpoint file or transformers directory.
        prefix (str, optional): Key prefix of the encoder in the checkpoint
            (mmvmae layout). Defaults to the config's (``'backbone.'`` or
            ``'encoders.imgs.'``); official and transformers checkpoints
            convert to ``'backbone.'``.

    Returns:
        LoadedVideoEncoder: The module and how it was made.
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    init_default_scope(cfg.get('default_scope', 'mmvmae'))
    encoder_cfg, own_prefix = video_encoder_config(cfg)
    encoder_cfg.update(init_cfg=None, out_type='avg')
    try:
        encoder = MODELS.build(encoder_cfg)
    except TypeError as err:
        raise ValueError(
            f'cannot build the video encoder {encoder_cfg.get("type")!r} '
            f"with out_type='avg' for feature extraction: {err}") from err
    prefix = own_prefix if prefix is None else prefix
    message = load_encoder_checkpoint(
        encoder, checkpoint, prefix=prefix, role='the video encoder')
    preprocessor_cfg = video_preprocessor_config(cfg)
    module = VideoFeatureEncoder(encoder, MODELS.build(preprocessor_cfg))
    return LoadedVideoEncoder(module, encoder_cfg, preprocessor_cfg, prefix,
                              message)
