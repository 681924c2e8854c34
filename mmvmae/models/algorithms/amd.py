"""AMD: asymmetric masked distillation of a small video ViT."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmengine.model import ModuleList
from torch import nn

from mmvmae.registry import MODELS
from mmvmae.utils.encoder_checkpoint import load_encoder_checkpoint
from .token_masks import stack_ids
from .videomae import VideoMAE


def check_layer_pairs(pairs: Sequence[Sequence[int]], student_depth: int,
                      teacher_depth: int) -> Tuple[Tuple[int, int], ...]:
    """``pairs`` as a tuple of (student, teacher) 1-based block indices.

    Raises:
        ValueError: If there is no pair, a pair is not two indices, or an
            index is outside its encoder's blocks.
    """
    if not pairs:
        raise ValueError('layer_pairs is empty: give at least one '
                         '(student layer, teacher layer) pair')
    checked = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f'layer pair {pair} is not (student layer, '
                             'teacher layer)')
        student, teacher = int(pair[0]), int(pair[1])
        if not (1 <= student <= student_depth
                and 1 <= teacher <= teacher_depth):
            raise ValueError(
                f'layer pair {tuple(pair)} is outside the encoders: student '
                f'layers are 1..{student_depth}, teacher layers '
                f'1..{teacher_depth}')
        checked.append((student, teacher))
    return tuple(checked)


@MODELS.register_module()
class AMD(VideoMAE):
    """Asymmetric masked distillation (AMD, Zhao et al., CVPR 2024).

    The student is a VideoMAE (backbone, decoder, pixel head) that sees the
    tokens left visible by a high mask ratio (0.9) and reconstructs the
    pixels of its masked tokens. A frozen, larger teacher encoder sees more
    tokens (mask 0.75): the student-visible ones, then the *diff* tokens
    (student-masked, teacher-visible), as ``AsymmetricTubeMaskGenerator``
    writes them. For each (student layer, teacher layer) pair, the raw
    student block output (no norm) is mapped to the teacher width by a
    bias-free linear projector, shared by two branches:

    - direct alignment: the projected features regress the teacher's
      features of the same (student-visible) tokens;
    - generation alignment: a ``FeatureGenerator`` reads the projected
      features plus a mask token at each diff position, and its outputs at
      the diff tokens regress the teacher's features there.

    Losses: ``loss_pix`` (the head's), ``loss_align_direct`` and
    ``loss_align_generation`` (each the mean over layer pairs); their
    weights are the ``loss_weight`` of the head's loss, ``direct_loss`` and
    ``generation_loss``.

    The teacher is always frozen (no gradients, eval mode). Its weights are
    read from ``teacher_checkpoint`` by :meth:`init_weights`, which the
    Runner calls before the first training step; mmvmae, official VideoMAE
    and transformers layouts are accepted, and a missing file or a key /
    shape that does not fit fails there, naming it. The teacher is part of
    the state dict (a resumed run continues with the same teacher).

    Args:
        backbone (dict): Student encoder, e.g. ``VideoViT``.
        neck (dict): Student decoder, e.g. ``MAEDecoder``.
        head (dict): Pixel target and loss, e.g.
            ``PixelReconstructionHead``.
        teacher (dict): Teacher encoder, e.g. ``VideoViT`` with
            ``arch='large'``; built with ``frozen=True``. Its patch and
            tubelet sizes must equal the student's.
        teacher_checkpoint (str): The teacher's weights: an mmvmae
            checkpoint, an official VideoMAE / V2 checkpoint or transformers
            VideoMAE weights.
        layer_pairs (Sequence[Sequence[int]]): (student layer, teacher
            layer) pairs of 1-based block indices. Defaults to
            ``((6, 12), (12, 24))`` (ViT-S/B student, ViT-L teacher).
        generator (dict): Config of each pair's generator; ``embed_dims``
            defaults to the teacher's width. Defaults to a 2-block
            ``FeatureGenerator`` with one head per 64 channels.
        direct_loss (dict): Loss of the direct branch. Defaults to
            ``FeatureAlignmentLoss`` (``'l2'``, weight 1).
        generation_loss (dict): Loss of the generation branch. Defaults to
            ``FeatureAlignmentLoss`` (``'l2'``, weight 1).
        data_preprocessor (dict, optional): See ``VideoMAE``.
        init_cfg (dict, optional): mmengine init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 teacher: dict,
                 teacher_checkpoint: str,
                 layer_pairs: Sequence[Sequence[int]] = ((6, 12), (12, 24)),
                 generator: dict = dict(type='FeatureGenerator', depth=2),
                 direct_loss: dict = dict(
                     type='FeatureAlignmentLoss', criterion='l2'),
                 generation_loss: dict = dict(
                     type='FeatureAlignmentLoss', criterion='l2'),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            backbone, neck, head, data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if not isinstance(teacher_checkpoint, str) or not teacher_checkpoint:
            raise ValueError(f'teacher_checkpoint must be the path of the '
                             f'teacher weights, got {teacher_checkpoint!r}')
        self.teacher_checkpoint = teacher_checkpoint
        self.teacher = MODELS.build(dict(teacher, frozen=True))
        ours, theirs = self.backbone.patch_embed, self.teacher.patch_embed
        if (ours.patch_size, ours.tubelet_size) != (theirs.patch_size,
                                                    theirs.tubelet_size):
            raise ValueError(
                f'student tokens (patch {ours.patch_size}, tubelet '
                f'{ours.tubelet_size}) differ from the teacher tokens (patch '
                f'{theirs.patch_size}, tubelet {theirs.tubelet_size})')
        self.layer_pairs = check_layer_pairs(layer_pairs, self.backbone.depth,
                                             self.teacher.depth)
        student_dims = self.backbone.embed_dims
        teacher_dims = self.teacher.embed_dims
        self.projectors = nn.ModuleList(
            nn.Linear(student_dims, teacher_dims, bias=False)
            for _ in self.layer_pairs)
        for projector in self.projectors:
            nn.init.xavier_uniform_(projector.weight)
        generator = dict(generator)
        generator.setdefault('embed_dims', teacher_dims)
        if generator['embed_dims'] != teacher_dims:
            raise ValueError(f"generator embed_dims={generator['embed_dims']}"
                             f' must equal the teacher width {teacher_dims}')
        self.generators = ModuleList(
            MODELS.build(generator) for _ in self.layer_pairs)
        self.direct_loss = MODELS.build(direct_loss)
        self.generation_loss = MODELS.build(generation_loss)

    def init_weights(self) -> None:
        """Initialize the student, then load the teacher's weights."""
        super().init_weights()
        loaded = load_encoder_checkpoint(
            self.teacher, self.teacher_checkpoint,
            role='the AMD teacher (model.teacher_checkpoint)')
        print_log(f'AMD teacher: {loaded}', logger='current')

    @torch.no_grad()
    def teacher_features(
            self, inputs: torch.Tensor, visible_ids: torch.Tensor,
            diff_ids: torch.Tensor) -> Tuple[List[torch.Tensor], List]:
        """Raw teacher block outputs of each pair's teacher layer.

        The teacher reads the student-visible tokens followed by the diff
        tokens.

        Returns:
            tuple[list, list]: Per pair, features (B, K, C_t) of the
            student-visible tokens and (B, D, C_t) of the diff tokens.
        """
        ids = torch.cat([visible_ids, diff_ids], dim=1)
        _, features = self.teacher.encode_tokens(
            self.teacher.embed(inputs, ids),
            layers=[teacher for _, teacher in self.layer_pairs])
        k = visible_ids.shape[1]
        return [f[:, :k] for f in features], [f[:, k:] for f in features]

    def loss(self, inputs: torch.Tensor,
             data_samples: List) -> Dict[str, torch.Tensor]:
        """Pixel reconstruction and the two feature alignment losses."""
        grid = self.backbone.patch_embed.token_grid(inputs.shape)
        masks = self.token_masks(inputs, grid, data_samples)
        diff_ids = stack_ids(data_samples, 'diff_ids', inputs.device)
        latent, student = self.backbone.encode_tokens(
            self.backbone.embed(inputs, masks.visible_ids),
            layers=[layer for layer, _ in self.layer_pairs])
        pred = self.neck(latent, masks.visible_ids, masks.query_ids, grid)
        loss_pix = self.head.loss(pred, inputs, masks.query_ids,
                                  masks.query_weight)
        visible_targets, diff_targets = self.teacher_features(
            inputs, masks.visible_ids, diff_ids)
        direct, generation = [], []
        for features, projector, generator, visible_target, diff_target in (
                zip(student, self.projectors, self.generators,
                    visible_targets, diff_targets)):
            projected = projector(features)
            direct.append(self.direct_loss(projected, visible_target))
            generated = generator(projected, masks.visible_ids, diff_ids,
                                  grid)
            generation.append(self.generation_loss(generated, diff_target))
        return dict(
            loss_pix=loss_pix,
            loss_align_direct=torch.stack(direct).mean(),
            loss_align_generation=torch.stack(generation).mean())
