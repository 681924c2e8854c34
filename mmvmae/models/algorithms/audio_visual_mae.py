"""Audio-visual masked autoencoder (CAV-MAE / AV-MAE designs)."""
from typing import Dict, List

import numpy as np
import torch

from mmvmae.registry import MODELS
from ..layers import gather_tokens
from .multimodal_mae import VIDEO, MultiModalMAE
from .token_masks import TokenMasks, stack_ids

AUDIO = 'audios'
AUDIO_MASK_KEYS = ('audio_visible_ids', 'audio_masked_ids')


@MODELS.register_module()
class AudioVisualMAE(MultiModalMAE):
    """Masked autoencoder over a video clip and its audio fbank.

    Each modality has its own encoder (``imgs``: ``VideoViT``, ``audios``:
    ``AudioViT``) that sees only its visible tokens: the video mask comes
    from the pipeline (``visible_ids`` / ``masked_ids``, e.g.
    ``TubeMaskGenerator``), the audio mask too (``audio_visible_ids`` /
    ``audio_masked_ids`` from a spectrogram mask generator), so each
    modality has its own mask ratio. Then:

    - ``fusion``: ``'none'`` (late fusion, AV-MAE ``separate_encoders``),
      ``'shared'`` (the audio encoder's blocks and final norm *are* the
      video encoder's: one set of weights applied to each modality, AV-MAE
      ``same_encoder``) or a mid-fusion neck config, e.g.
      ``dict(type='MidFusion', depth=1)``: joint blocks over the
      concatenated visible tokens (CAV-MAE's unified block, AV-MAE
      ``separate_encoders_and_concat``).
    - ``decoder``: a joint decoder config (``JointMAEDecoder``: one
      decoder over both modalities' tokens, per-modality prediction heads,
      as CAV-MAE) or a dict with one ``MAEDecoder`` config per modality
      (separate decoders).
    - losses: ``loss_video`` (``heads['imgs']``, e.g.
      ``PixelReconstructionHead``), ``loss_audio`` (``heads['audios']``,
      ``SpectrogramReconstructionHead``) on the masked tokens, and with
      ``contrastive`` the InfoNCE ``loss_contrast`` between the
      mean-pooled visible tokens of each modality (taken from the mid
      fusion run on each modality alone, else from the encoders), through
      optional ``projectors``. Weights are the losses' ``loss_weight``
      (CAV-MAE: 1, 1 and 0.01).

    Samples whose data sample has ``audios_present=False`` (the audio
    loader's fill policy) have their fbank replaced by zeros before the
    encoder, so their video stream sees the same input whatever the file
    held, and get weight 0 in ``loss_audio`` and ``loss_contrast``.

    Args:
        encoders (dict): Encoder config per modality, keys ``'imgs'`` and
            ``'audios'``; pretraining encoders use
            ``use_mean_pooling=False`` (their final norm is used).
        decoder (dict): A joint decoder config (has ``type``) or one
            decoder config per modality.
        heads (dict): Target-and-loss config per modality.
        fusion (str | dict): ``'none'``, ``'shared'`` or a mid-fusion
            neck config. Defaults to ``'none'``.
        modality_embed (bool): Add a learned embedding per modality to its
            tokens before the encoder (CAV-MAE). Defaults to True.
        contrastive (dict, optional): Contrastive loss config, e.g.
            ``InfoNCELoss``; called with (video, audio) features and the
            audio presence as weight. Defaults to None (no contrastive
            term).
        projectors (dict, optional): ``Projector`` config per modality for
            the contrastive features; None uses the pooled tokens as they
            are (equal widths needed). Defaults to None.
        data_preprocessor (dict, optional): Defaults to mmaction2's
            ``MultiModalDataPreprocessor`` with ImageNet mean / std for
            ``imgs`` (NCTHW) and a float cast for ``audios``.
        init_cfg (dict, optional): mmengine init config.
    """

    modalities = (VIDEO, AUDIO)

    @staticmethod
    def audio_presence(data_samples: List,
                       device: torch.device) -> torch.Tensor:
        """(B,) float: 1 where the sample has audio (``audios_present``
        missing counts as present), 0 where the loader filled it."""
        flags = [bool(np.asarray(sample.get('audios_present', True)))
                 for sample in data_samples]
        return torch.tensor(flags, dtype=torch.float32, device=device)

    @staticmethod
    def audio_masks(data_samples: List, device: torch.device) -> TokenMasks:
        """Audio masks of the batch; the decoder predicts masked tokens."""
        if data_samples[0].get(AUDIO_MASK_KEYS[0]) is None:
            raise KeyError(
                f'data sample lacks {AUDIO_MASK_KEYS[0]!r}: add a '
                'spectrogram mask generator (e.g. '
                'SpectrogramRandomMaskGenerator) to the pipeline and list '
                f'{AUDIO_MASK_KEYS} in PackActionInputs(algorithm_keys=...)')
        visible, masked = (stack_ids(data_samples, key, device)
                           for key in AUDIO_MASK_KEYS)
        return TokenMasks(visible, masked, masked)

    def loss(self, inputs: dict,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Reconstruction losses per modality (+ contrastive) of a batch."""
        video, audio = inputs[VIDEO], inputs[AUDIO]
        present = self.audio_presence(data_samples, audio.device)
        audio = audio * present.view(-1, *(1, ) * (audio.dim() - 1)).to(
            audio.dtype)
        inputs = {VIDEO: video, AUDIO: audio}
        masks = {
            VIDEO: TokenMasks.from_data_samples(data_samples, video.device),
            AUDIO: self.audio_masks(data_samples, audio.device),
        }
        grids = self.token_grids(inputs, masks)
        latents = self.encode({
            VIDEO: self.encoders[VIDEO].embed(video, masks[VIDEO].visible_ids),
            AUDIO: gather_tokens(self.encoders[AUDIO].embed(audio),
                                 masks[AUDIO].visible_ids)
        })
        preds = self.decode(self.fuse(latents), masks, grids)
        audio_weight = present[:, None].expand_as(masks[AUDIO].query_ids)
        losses = dict(
            loss_video=self.heads[VIDEO].loss(preds[VIDEO], video,
                                              masks[VIDEO].query_ids,
                                              masks[VIDEO].query_weight),
            loss_audio=self.heads[AUDIO].loss(preds[AUDIO], audio,
                                              masks[AUDIO].query_ids,
                                              audio_weight))
        if self.contrastive is not None:
            feats = self.contrastive_features(latents)
            losses['loss_contrast'] = self.contrastive(
                feats[VIDEO], feats[AUDIO], present)
        return losses
