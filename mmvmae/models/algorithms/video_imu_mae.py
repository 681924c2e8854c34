"""Video and body-worn IMU masked autoencoder (EVI-MAE)."""
from typing import Dict, List, Optional, Union

import numpy as np
import torch
from torch import nn

from mmvmae.registry import MODELS
from ..layers import gather_tokens
from .multimodal_mae import VIDEO, MultiModalMAE
from .token_masks import TokenMasks, stack_ids

IMU = 'imu'
IMU_MASK_KEYS = ('imu_visible_ids', 'imu_masked_ids')


@MODELS.register_module()
class VideoIMUMAE(MultiModalMAE):
    """Masked autoencoder over a video clip and its IMU devices (EVI-MAE).

    The video encoder (``encoders['imgs']``, ``VideoViT``) sees its visible
    tubelets (``visible_ids`` / ``masked_ids`` from a pipeline mask
    generator, e.g. ``TubeMaskGenerator``); the IMU encoder
    (``encoders['imu']``, ``IMUEncoder``) sees its visible tokens
    (``imu_visible_ids`` / ``imu_masked_ids`` from
    ``IMURandomMaskGenerator``), so each modality has its own mask ratio
    (EVI-MAE: video 0.9, IMU 0.75). With EVI-MAE's
    ``device_fusion='mean'`` one IMU token averages the present devices'
    tokens at one position. Then, as in :class:`MultiModalMAE`: optional
    mid fusion (EVI-MAE: one joint block with per-modality norms), a joint
    decoder and the losses

    - ``loss_video``: ``heads['imgs']`` (``PixelReconstructionHead``) on
      the masked tubelets;
    - ``loss_imu``: ``heads['imu']`` (``IMUReconstructionHead``) on the
      masked IMU tokens, each device's patch of what the tokenizer sees
      (spectrogram images for ``IMUSpectrogramEmbed``, signals for
      ``IMUPatchEmbed``); the decoder predicts every device's patch per
      token (``'mean'``) or one (``'concat'``);
    - ``loss_contrast`` (``contrastive``, e.g. ``InfoNCELoss``, EVI-MAE:
      one way from video anchors, temperature 0.05, weight 0.01) between
      the mean-pooled visible tokens;
    - ``loss_graph`` (``graph``, ``DeviceGraphMAEHead``: EVI-MAE's
      masked node-feature autoencoder, SCE with weight 10) on the device
      graph whose node features are each device's IMU tokens encoded alone
      and mean-pooled (``IMUEncoder.device_features``).

    Missing devices (``imu_presence`` from ``LoadIMUWindow``, packed in
    the data samples) are zeroed before anything reads them, left out of
    the device average, the contrastive pooling (``'concat'``) and the
    graph, and weighted 0 in ``loss_imu``; a sample with no present device
    gets weight 0 in every IMU loss and in ``loss_contrast``, while its
    video still trains ``loss_video``.

    Args:
        encoders (dict): Encoder config per modality, keys ``'imgs'`` and
            ``'imu'``; pretraining encoders use ``use_mean_pooling=False``.
        decoder (dict): A joint decoder config (has ``type``) or one
            decoder config per modality.
        heads (dict): Target-and-loss config per modality.
        fusion (str | dict): ``'none'``, ``'shared'`` or a mid-fusion neck
            config with ``modalities=('imgs', 'imu')``. Defaults to
            ``'none'``.
        modality_embed (bool): Learned embedding per modality added to its
            tokens. Defaults to True.
        contrastive (dict, optional): Contrastive loss config, called with
            (video, IMU) features and the samples' IMU presence as weight.
            Defaults to None.
        projectors (dict, optional): ``Projector`` config per modality for
            the contrastive features. Defaults to None.
        graph (dict, optional): ``DeviceGraphMAEHead`` config whose
            ``in_dims`` is the IMU encoder's width. Defaults to None (no
            graph branch; EVI-MAE's README turns it off for a single IMU).
        data_preprocessor (dict, optional): Defaults to mmaction2's
            ``MultiModalDataPreprocessor`` with ImageNet mean / std for
            ``imgs`` and a float cast for ``imu``.
        init_cfg (dict, optional): mmengine init config.
    """

    modalities = (VIDEO, IMU)

    def __init__(self,
                 encoders: dict,
                 decoder: dict,
                 heads: dict,
                 fusion: Union[str, dict] = 'none',
                 modality_embed: bool = True,
                 contrastive: Optional[dict] = None,
                 projectors: Optional[dict] = None,
                 graph: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(encoders, decoder, heads, fusion, modality_embed,
                         contrastive, projectors, data_preprocessor,
                         init_cfg)
        self.check_imu_head()
        self.graph = MODELS.build(graph) if graph is not None else None
        width = self.encoders[IMU].embed_dims
        if self.graph is not None and self.graph.in_dims != width:
            raise ValueError(f'graph.in_dims={self.graph.in_dims} must be the '
                             f'IMU encoder width {width}')

    def check_imu_head(self) -> None:
        """The IMU head's patches and the decoder's IMU output must match
        the tokenizer."""
        encoder, head = self.encoders[IMU], self.heads[IMU]
        tokenizer = encoder.tokenizer
        if head.patch_size != tokenizer.patch_size:
            raise ValueError(f'heads.imu.patch_size={head.patch_size} differs'
                             f' from the IMU tokenizer patch_size='
                             f'{tokenizer.patch_size}')
        values = encoder.in_channels * tokenizer.patch_size**(
            2 if self.is_spectrogram(tokenizer) else 1)
        if encoder.device_fusion == 'mean':
            values *= encoder.num_devices
        head_layer = (self.decoder[IMU].head if isinstance(
            self.decoder, nn.ModuleDict) else self.decoder.heads[IMU])
        if head_layer.out_features != values:
            raise ValueError(
                f'the decoder predicts {head_layer.out_features} values per '
                f'IMU token but the target has {values} ('
                f"device_fusion={encoder.device_fusion!r}: "
                f"{'devices x ' if encoder.device_fusion == 'mean' else ''}"
                'channels x patch values)')

    @staticmethod
    def is_spectrogram(tokenizer) -> bool:
        """Whether the tokenizer cuts spectrogram images (EVI-MAE)."""
        return callable(getattr(tokenizer, 'spectrogram', None))

    def imu_target_source(self, imu: torch.Tensor) -> torch.Tensor:
        """What the IMU head's target is cut from: the tokenizer's
        spectrogram images, or the signals themselves."""
        tokenizer = self.encoders[IMU].tokenizer
        if self.is_spectrogram(tokenizer):
            return tokenizer.spectrogram(imu)
        return imu

    @staticmethod
    def imu_presence(data_samples: List,
                     imu: torch.Tensor) -> torch.Tensor:
        """(B, D) bool device presence of the batch (``imu_presence``)."""
        values = [sample.get('imu_presence') for sample in data_samples]
        if any(value is None for value in values):
            raise KeyError(
                "data sample lacks 'imu_presence': LoadIMUWindow writes it; "
                "list it in PackActionInputs(algorithm_keys=...)")
        presence = torch.as_tensor(
            np.stack([np.asarray(value, dtype=bool) for value in values]),
            device=imu.device)
        if tuple(presence.shape) != tuple(imu.shape[:2]):
            raise ValueError(f'imu_presence of shape {tuple(presence.shape)}'
                             f' does not match (B, devices) = '
                             f'{tuple(imu.shape[:2])}')
        return presence

    @staticmethod
    def imu_masks(data_samples: List, device: torch.device) -> TokenMasks:
        """IMU masks of the batch; the decoder predicts masked tokens."""
        if data_samples[0].get(IMU_MASK_KEYS[0]) is None:
            raise KeyError(
                f'data sample lacks {IMU_MASK_KEYS[0]!r}: add '
                'IMURandomMaskGenerator to the pipeline and list '
                f'{IMU_MASK_KEYS} in PackActionInputs(algorithm_keys=...)')
        visible, masked = (stack_ids(data_samples, key, device)
                           for key in IMU_MASK_KEYS)
        return TokenMasks(visible, masked, masked)

    def token_grid(self, name: str, x: torch.Tensor) -> tuple:
        """IMU tokens form a 1-D sequence (the encoder's ``num_tokens``)."""
        if name == IMU:
            return (self.encoders[IMU].num_tokens, )
        return super().token_grid(name, x)

    def imu_token_weights(self, presence: torch.Tensor,
                          ids: torch.Tensor) -> Optional[torch.Tensor]:
        """(B, K) weights of IMU tokens ``ids`` in a mean: 0 for an absent
        device's tokens (``'concat'``); None with ``'mean'`` fusion, whose
        tokens are already averages over the present devices."""
        encoder = self.encoders[IMU]
        if encoder.device_fusion != 'concat':
            return None
        device = torch.div(ids, encoder.tokens_per_device,
                           rounding_mode='floor')
        return presence.to(torch.float32).gather(1, device)

    def extract_feat(self, inputs: dict,
                     data_samples: Optional[List]) -> dict:
        """Each encoder's output on its whole input (absent devices left
        out when the data samples carry ``imu_presence``)."""
        imu = inputs[IMU]
        presence = None
        if data_samples is not None:
            presence = self.imu_presence(data_samples, imu)
            imu = imu.masked_fill(~presence[..., None, None], 0)
        return {VIDEO: self.encoders[VIDEO](inputs[VIDEO]),
                IMU: self.encoders[IMU](imu, presence=presence)}

    def loss(self, inputs: dict,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Reconstruction losses per modality (+ contrastive, + graph)."""
        video = inputs[VIDEO]
        presence = self.imu_presence(data_samples, inputs[IMU])
        imu = inputs[IMU].masked_fill(~presence[..., None, None], 0)
        masks = {
            VIDEO: TokenMasks.from_data_samples(data_samples, video.device),
            IMU: self.imu_masks(data_samples, imu.device),
        }
        grids = self.token_grids({VIDEO: video, IMU: imu}, masks)
        imu_encoder = self.encoders[IMU]
        latents = self.encode({
            VIDEO: self.encoders[VIDEO].embed(video, masks[VIDEO].visible_ids),
            IMU: gather_tokens(imu_encoder.embed(imu, presence),
                               masks[IMU].visible_ids)
        })
        preds = self.decode(self.fuse(latents), masks, grids)
        losses = dict(
            loss_video=self.heads[VIDEO].loss(preds[VIDEO], video,
                                              masks[VIDEO].query_ids,
                                              masks[VIDEO].query_weight),
            loss_imu=self.heads[IMU].loss(preds[IMU],
                                          self.imu_target_source(imu),
                                          masks[IMU].query_ids, presence,
                                          imu_encoder.device_fusion))
        if self.contrastive is not None:
            feats = self.contrastive_features(latents, {
                IMU: self.imu_token_weights(presence, masks[IMU].visible_ids)
            })
            losses['loss_contrast'] = self.contrastive(
                feats[VIDEO], feats[IMU], presence.any(1).float())
        if self.graph is not None:
            nodes = imu_encoder.device_features(imu, presence)
            losses['loss_graph'] = self.graph.loss(nodes, presence)
        return losses
