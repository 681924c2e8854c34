"""Convert VideoMAE checkpoints to and from the mmvmae layout.

Three layouts of the same weights are covered (see ``docs/checkpoints.md``):

- mmvmae / mmaction2: ``backbone.*`` (:class:`~mmvmae.models.VideoViT`,
  whose keys are those of mmaction2's ``VisionTransformer``), ``neck.*``
  (:class:`~mmvmae.models.MAEDecoder`) and ``cls_head.fc_cls.*``
  (mmaction2's ``TimeSformerHead``).
- official VideoMAE / VideoMAE V2: ``encoder.*``, ``encoder_to_decoder``,
  ``mask_token`` and ``decoder.*`` when pretrained; ``patch_embed``,
  ``blocks``, ``fc_norm`` (or ``norm``) and ``head`` when fine-tuned.
- transformers: ``VideoMAEForPreTraining`` and
  ``VideoMAEForVideoClassification`` (``videomae.*``), whose attention has
  separate ``query`` / ``key`` / ``value`` projections.

Every key of a source must be covered by a renaming rule or be one of the
documented fixed sinusoid tables, which are dropped after checking that they
hold the sinusoid. Any other key, and any key the converted model lacks,
raises :class:`CheckpointConversionError` naming the keys. Files are read
with ``torch.load(weights_only=True)``.
"""
import argparse
import functools
import json
import os
import os.path as osp
import pickle
import re
from dataclasses import dataclass, field
from typing import (Dict, Iterable, List, Mapping, NoReturn, Optional,
                    Sequence, Tuple)

import torch

from mmvmae.models.layers.pos_embed import sinusoid_table
from mmvmae.version import __version__

StateDict = Dict[str, torch.Tensor]
KINDS = ('auto', 'pretrain', 'finetune')
WEIGHT_ENTRIES = ('state_dict', 'model', 'module')
HF_WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin')
MAX_LISTED_KEYS = 20


class CheckpointConversionError(ValueError):
    """A checkpoint has keys no rule covers, lacks keys, or is unreadable."""


def _fail(what: str, keys: Iterable[str], hint: str = '') -> NoReturn:
    """Raise :class:`CheckpointConversionError` listing ``keys``."""
    keys = sorted(keys)
    listed = ''.join(f'\n  {key}' for key in keys[:MAX_LISTED_KEYS])
    if len(keys) > MAX_LISTED_KEYS:
        listed += f'\n  ... and {len(keys) - MAX_LISTED_KEYS} more'
    raise CheckpointConversionError(
        f'{what} ({len(keys)}):{listed}' + (f'\n{hint}' if hint else ''))


@functools.lru_cache(maxsize=None)
def _pattern(template: str) -> re.Pattern:
    """Regex of a key template; see :class:`Rule`."""
    regex = re.escape(template).replace(re.escape('{i}'), r'(?P<i>\d+)')
    if template.endswith('.'):
        regex += r'(?P<leaf>weight|bias)'
    return re.compile(regex)


@dataclass(frozen=True)
class Rule:
    """Renaming between an mmvmae key and a foreign key.

    A template may hold ``{i}``, a block index. A template ending in ``.``
    names a module and covers its ``weight`` and ``bias``; any other
    template names one tensor.

    Attributes:
        ours (str): mmvmae template.
        theirs (str): Template of the foreign layout.
    """
    ours: str
    theirs: str

    def rename(self, key: str, to_ours: bool) -> Optional[str]:
        """Rename ``key`` towards mmvmae (``to_ours``) or away from it.

        Returns:
            str | None: The new key, or None if the rule does not cover it.
        """
        src, dst = (self.theirs, self.ours) if to_ours else (self.ours,
                                                              self.theirs)
        match = _pattern(src).fullmatch(key)
        if match is None:
            return None
        groups = match.groupdict()
        return dst.replace('{i}', groups.get('i') or '') + (
            groups.get('leaf') or '')


def _blocks(ours: str, theirs: str,
            table: Sequence[Tuple[str, str]]) -> Tuple[Rule, ...]:
    """Rules of the transformer blocks under two prefixes."""
    return tuple(Rule(ours + a, theirs + b) for a, b in table)


# mmvmae block names and their official / transformers counterparts.
OFFICIAL_BLOCK = (
    ('norm1.', 'norm1.'),
    ('attn.qkv.weight', 'attn.qkv.weight'),
    ('attn.q_bias', 'attn.q_bias'),
    ('attn.v_bias', 'attn.v_bias'),
    ('attn.proj.', 'attn.proj.'),
    ('norm2.', 'norm2.'),
    ('mlp.layers.0.0.', 'mlp.fc1.'),
    ('mlp.layers.1.', 'mlp.fc2.'),
    ('gamma_1', 'gamma_1'),
    ('gamma_2', 'gamma_2'),
)
# ``attention.attention.qkv.weight`` is not a transformers key: the
# ``query``/``key``/``value`` weights are merged into it on the way in and
# split from it on the way out (``_merge_qkv`` / ``_split_qkv``).
HF_QKV = 'attention.attention.qkv.weight'
HF_QKV_PARTS = ('query', 'key', 'value')
HF_QKV_PART = re.compile(r'(.*\.attention\.attention\.)(query|key|value)'
                         r'\.weight')
HF_BLOCK = (
    ('norm1.', 'layernorm_before.'),
    ('attn.qkv.weight', HF_QKV),
    ('attn.q_bias', 'attention.attention.q_bias'),
    ('attn.v_bias', 'attention.attention.v_bias'),
    ('attn.proj.', 'attention.output.dense.'),
    ('norm2.', 'layernorm_after.'),
    ('mlp.layers.0.0.', 'intermediate.dense.'),
    ('mlp.layers.1.', 'output.dense.'),
)


@dataclass(frozen=True)
class Layout:
    """A foreign checkpoint layout of one kind.

    Attributes:
        title (str): Name used in messages and ``meta``.
        kind (str): ``'pretrain'`` or ``'finetune'``.
        rules (tuple[Rule]): Renaming rules.
        fixed_tables (tuple[str]): Foreign keys that may hold a fixed
            sinusoid table mmvmae computes itself; dropped after a check.
    """
    title: str
    kind: str
    rules: Tuple[Rule, ...]
    fixed_tables: Tuple[str, ...] = ()


OFFICIAL_LAYOUTS = {
    'pretrain': Layout(
        'official VideoMAE pretraining', 'pretrain', (
            Rule('backbone.patch_embed.projection.',
                 'encoder.patch_embed.proj.'),
            Rule('backbone.pos_embed', 'encoder.pos_embed'),
            *_blocks('backbone.blocks.{i}.', 'encoder.blocks.{i}.',
                     OFFICIAL_BLOCK),
            Rule('backbone.norm.', 'encoder.norm.'),
            Rule('neck.decoder_embed.weight', 'encoder_to_decoder.weight'),
            Rule('neck.mask_token', 'mask_token'),
            *_blocks('neck.blocks.{i}.', 'decoder.blocks.{i}.',
                     OFFICIAL_BLOCK),
            Rule('neck.norm.', 'decoder.norm.'),
            Rule('neck.head.', 'decoder.head.'),
        ), ('pos_embed', 'decoder.pos_embed')),
    'finetune': Layout(
        'official VideoMAE fine-tuned', 'finetune', (
            Rule('backbone.patch_embed.projection.', 'patch_embed.proj.'),
            Rule('backbone.pos_embed', 'pos_embed'),
            *_blocks('backbone.blocks.{i}.', 'blocks.{i}.', OFFICIAL_BLOCK),
            Rule('backbone.norm.', 'norm.'),
            Rule('backbone.fc_norm.', 'fc_norm.'),
            Rule('cls_head.fc_cls.', 'head.'),
        )),
}
_HF_ENCODER = (
    Rule('backbone.patch_embed.projection.',
         'videomae.embeddings.patch_embeddings.projection.'),
    *_blocks('backbone.blocks.{i}.', 'videomae.encoder.layer.{i}.',
             HF_BLOCK),
    Rule('backbone.norm.', 'videomae.layernorm.'),
)
HF_LAYOUTS = {
    'pretrain': Layout(
        'transformers VideoMAEForPreTraining', 'pretrain', (
            *_HF_ENCODER,
            Rule('neck.decoder_embed.weight', 'encoder_to_decoder.weight'),
            Rule('neck.mask_token', 'mask_token'),
            *_blocks('neck.blocks.{i}.', 'decoder.decoder_layers.{i}.',
                     HF_BLOCK),
            Rule('neck.norm.', 'decoder.norm.'),
            Rule('neck.head.', 'decoder.head.'),
        ), ('videomae.embeddings.position_embeddings',
            'position_embeddings')),
    'finetune': Layout(
        'transformers VideoMAEForVideoClassification', 'finetune', (
            *_HF_ENCODER,
            Rule('backbone.fc_norm.', 'fc_norm.'),
            Rule('cls_head.fc_cls.', 'classifier.'),
        ), ('videomae.embeddings.position_embeddings', )),
}
# Keys of transformers' bare ``VideoMAEModel`` lack the ``videomae.`` prefix.
HF_BARE_PREFIXES = ('embeddings.', 'encoder.', 'layernorm.')

_BLOCK_REQUIRED = ('norm1.weight', 'norm1.bias', 'attn.qkv.weight',
                   'attn.proj.weight', 'attn.proj.bias', 'norm2.weight',
                   'norm2.bias', 'mlp.layers.0.0.weight',
                   'mlp.layers.0.0.bias', 'mlp.layers.1.weight',
                   'mlp.layers.1.bias')
# Each group is present in every block or in none.
_BLOCK_OPTIONAL = (('attn.q_bias', 'attn.v_bias'), ('gamma_1', 'gamma_2'))


@dataclass
class Conversion:
    """Result of a conversion.

    Attributes:
        state_dict (dict): The converted weights.
        source (str): Layout converted from.
        target (str): Layout converted to.
        kind (str): ``'pretrain'`` or ``'finetune'``.
        num_source_keys (int): Tensors in the source state dict.
        dropped (dict): Source key -> why it was dropped.
        added (dict): Converted key -> why it was added.
        ignored (list): Checkpoint entries besides the weights (optimizer,
            epoch, args, ...), not converted.
    """
    state_dict: StateDict
    source: str
    target: str
    kind: str
    num_source_keys: int
    dropped: Dict[str, str] = field(default_factory=dict)
    added: Dict[str, str] = field(default_factory=dict)
    ignored: List[str] = field(default_factory=list)

    def summary(self) -> str:
        """Human-readable account of what was converted and dropped."""
        lines = [
            f'{self.source} ({self.kind}) -> {self.target}: converted '
            f'{self.num_source_keys - len(self.dropped)} of '
            f'{self.num_source_keys} tensors into '
            f'{len(self.state_dict)} keys'
        ]
        lines += [f'  dropped {key}: {why}'
                  for key, why in self.dropped.items()]
        lines += [f'  added {key}: {why}' for key, why in self.added.items()]
        if self.ignored:
            lines.append('  ignored checkpoint entries (not weights): ' +
                         ', '.join(self.ignored))
        return '\n'.join(lines)

    def meta(self) -> dict:
        """``meta`` of a converted mmvmae checkpoint (plain Python types)."""
        return dict(
            converter='mmvmae.utils.checkpoint_convert',
            mmvmae_version=__version__,
            source=self.source,
            kind=self.kind,
            arch=describe_arch(self.state_dict),
            dropped=dict(self.dropped),
            added=dict(self.added),
            ignored=list(self.ignored))


def is_sinusoid(table: torch.Tensor) -> bool:
    """Whether ``table`` (1, N, C) is VideoMAE's fixed 1-D sinusoid."""
    if table.dim() != 3 or table.shape[0] != 1:
        return False
    atol = max(1e-5, 2 * torch.finfo(table.dtype).eps)
    return torch.allclose(
        table.detach().float().cpu(),
        sinusoid_table(table.shape[1], table.shape[2]),
        atol=atol)


def _strip_prefixes(state_dict: Mapping[str, torch.Tensor],
                    prefixes: Sequence[str]) -> StateDict:
    """Remove the first of ``prefixes`` that starts each key."""
    out = {}
    for key, value in state_dict.items():
        new = next((key[len(p):] for p in prefixes if key.startswith(p)),
                   key)
        if new in out:
            _fail(f'keys collide after removing the prefixes {prefixes}',
                  [new])
        out[new] = value
    return out


def _rename(state_dict: Mapping[str, torch.Tensor], layout: Layout,
            to_ours: bool) -> StateDict:
    """Rename every key with ``layout``'s rules or fail listing the rest."""
    out, unknown = {}, []
    for key, value in state_dict.items():
        new = next((name for name in (rule.rename(key, to_ours)
                                      for rule in layout.rules)
                    if name is not None), None)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    if unknown:
        what = (f'keys outside the {layout.title} layout' if to_ours else
                f'mmvmae keys with no counterpart in the {layout.title} '
                'layout')
        _fail(what, unknown, 'See docs/checkpoints.md for the layouts.')
    return out


def _block_keys(keys: Iterable[str], prefix: str) -> set:
    """Keys the blocks under ``prefix`` (e.g. ``'backbone.blocks.'``) need.

    Indices run from 0 to the largest one found (block 0 when none is); an
    optional group found in one block is needed in all of them.
    """
    pattern = re.compile(re.escape(prefix) + r'(\d+)\.(.+)')
    indices, names = {0}, set(_BLOCK_REQUIRED)
    for key in keys:
        match = pattern.fullmatch(key)
        if match:
            indices.add(int(match[1]))
            for group in _BLOCK_OPTIONAL:
                if match[2] in group:
                    names.update(group)
    return {f'{prefix}{i}.{name}' for i in range(max(indices) + 1)
            for name in names}


def expected_keys(state_dict: Mapping[str, torch.Tensor],
                  kind: str) -> Tuple[set, set]:
    """Keys an mmvmae state dict of ``kind`` must and may have.

    Returns:
        tuple[set, set]: Required keys and optional keys, given the
        structure found in ``state_dict`` (number of blocks, q/v biases,
        layer scale, final norm, classifier).
    """
    keys = set(state_dict)
    required = {'backbone.patch_embed.projection.weight',
                'backbone.patch_embed.projection.bias'}
    required |= _block_keys(keys, 'backbone.blocks.')
    if kind == 'pretrain':
        required |= {'backbone.norm.weight', 'backbone.norm.bias',
                     'neck.decoder_embed.weight', 'neck.mask_token',
                     'neck.norm.weight', 'neck.norm.bias',
                     'neck.head.weight', 'neck.head.bias'}
        required |= _block_keys(keys, 'neck.blocks.')
    else:
        norm = ('backbone.fc_norm' if keys & {'backbone.fc_norm.weight',
                                              'backbone.fc_norm.bias'}
                else 'backbone.norm')
        required |= {norm + '.weight', norm + '.bias'}
        if any(key.startswith('cls_head.') for key in keys):
            required |= {'cls_head.fc_cls.weight', 'cls_head.fc_cls.bias'}
    return required, {'backbone.pos_embed'}


def check_mmvmae_state_dict(state_dict: Mapping[str, torch.Tensor],
                            kind: str,
                            layout: Optional[Layout] = None) -> None:
    """Fail unless ``state_dict`` is a complete mmvmae model of ``kind``.

    Args:
        state_dict (dict): mmvmae state dict.
        kind (str): ``'pretrain'`` (VideoMAE: backbone ending in ``norm``,
            neck) or ``'finetune'`` (backbone ending in ``norm`` or
            ``fc_norm``, optional ``cls_head``).
        layout (Layout, optional): Layout the weights came from; missing
            keys are then also named as in that layout.

    Raises:
        CheckpointConversionError: Listing missing or unexpected keys.
    """
    required, optional = expected_keys(state_dict, kind)
    missing = required - set(state_dict)
    if missing:
        if layout is not None:
            missing = [f'{key} ({_foreign_name(key, layout)})'
                       for key in missing]
        _fail(f'missing keys of an mmvmae {kind} model', missing)
    unexpected = set(state_dict) - required - optional
    if unexpected:
        _fail(f'unexpected keys in an mmvmae {kind} model', unexpected,
              'A fine-tuned backbone ends in norm or fc_norm, not both; a '
              'pretraining encoder ends in norm.')


def _foreign_name(key: str, layout: Layout) -> str:
    """Name of mmvmae ``key`` in ``layout``."""
    name = next((name for name in (rule.rename(key, False)
                                   for rule in layout.rules)
                 if name is not None), '?')
    return name.replace('qkv.weight', '{query,key,value}.weight') if (
        name.endswith(HF_QKV)) else name


def describe_arch(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Sizes of the model an mmvmae state dict holds (plain types).

    Heads and the input size cannot be read from weights and are absent.
    """
    proj = state_dict['backbone.patch_embed.projection.weight']
    embed_dims, in_channels, tubelet, patch = proj.shape[:4]
    hidden = state_dict['backbone.blocks.0.mlp.layers.0.0.weight'].shape[0]
    arch = dict(
        embed_dims=embed_dims,
        depth=_num_blocks(state_dict, 'backbone.blocks.'),
        mlp_ratio=hidden / embed_dims,
        in_channels=in_channels,
        patch_size=patch,
        tubelet_size=tubelet,
        qkv_bias='backbone.blocks.0.attn.q_bias' in state_dict,
        layer_scale='backbone.blocks.0.gamma_1' in state_dict,
        use_mean_pooling='backbone.fc_norm.weight' in state_dict)
    if 'neck.decoder_embed.weight' in state_dict:
        dims = state_dict['neck.decoder_embed.weight'].shape[0]
        arch['decoder'] = dict(
            embed_dims=dims,
            depth=_num_blocks(state_dict, 'neck.blocks.'),
            mlp_ratio=state_dict['neck.blocks.0.mlp.layers.0.0.weight'].
            shape[0] / dims,
            out_dims=state_dict['neck.head.weight'].shape[0])
    if 'cls_head.fc_cls.weight' in state_dict:
        arch['num_classes'] = state_dict['cls_head.fc_cls.weight'].shape[0]
    return arch


def _num_blocks(state_dict: Mapping[str, torch.Tensor], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r'(\d+)\.')
    found = {int(m[1]) for m in map(pattern.match, state_dict) if m}
    return max(found) + 1 if found else 0


def _drop_fixed_tables(state_dict: StateDict, layout: Layout) -> dict:
    """Pop ``layout.fixed_tables`` after checking they hold the sinusoid.

    Returns:
        dict: Dropped key -> reason.
    """
    dropped = {}
    for key in layout.fixed_tables:
        if key not in state_dict:
            continue
        if not is_sinusoid(state_dict[key]):
            _fail('position tables that are not the fixed sinusoid mmvmae '
                  'computes (learned decoder tables are not supported)',
                  [key])
        del state_dict[key]
        dropped[key] = 'fixed sinusoid, computed by mmvmae'
    return dropped


def _add_pos_embed(state_dict: StateDict,
                   input_size: Tuple[int, int]) -> Dict[str, str]:
    """Add the fixed ``backbone.pos_embed`` for (num_frames, img_size).

    Returns:
        dict: Added key -> reason (empty if the table was already there).
    """
    if 'backbone.pos_embed' in state_dict:
        return {}
    frames, size = input_size
    proj = state_dict['backbone.patch_embed.projection.weight']
    dims, _, tubelet, patch = proj.shape[:4]
    if frames % tubelet or size % patch:
        raise CheckpointConversionError(
            f'input size {frames} frames x {size}px does not divide into '
            f'tubelets of {tubelet} frames x {patch}px patches')
    num_tokens = (frames // tubelet) * (size // patch)**2
    state_dict['backbone.pos_embed'] = sinusoid_table(num_tokens, dims)
    return {'backbone.pos_embed': f'fixed sinusoid for {frames} frames of '
            f'{size}x{size} ({num_tokens} tokens)'}


def _import(state_dict: StateDict, layout: Layout, source: str,
            input_size: Optional[Tuple[int, int]]) -> Conversion:
    """Foreign layout -> mmvmae, checked for missing and unknown keys."""
    num_source_keys = len(state_dict)
    state_dict = dict(state_dict)
    dropped = _drop_fixed_tables(state_dict, layout)
    converted = _rename(state_dict, layout, to_ours=True)
    check_mmvmae_state_dict(converted, layout.kind, layout)
    added = {} if input_size is None else _add_pos_embed(
        converted, input_size)
    return Conversion(converted, source, 'mmvmae', layout.kind,
                      num_source_keys, dropped, added)


def _export(state_dict: Mapping[str, torch.Tensor], layout: Layout,
            target: str, keep_pos_embed: bool) -> Conversion:
    """mmvmae -> foreign layout.

    A fixed sinusoid ``backbone.pos_embed`` is dropped (the foreign code
    computes it). Any other table is kept when ``keep_pos_embed``, else
    refused.
    """
    kind = layout.kind
    check_mmvmae_state_dict(state_dict, kind)
    num_source_keys = len(state_dict)
    state_dict = dict(state_dict)
    dropped = {}
    table = state_dict.get('backbone.pos_embed')
    if table is not None and is_sinusoid(table):
        del state_dict['backbone.pos_embed']
        dropped['backbone.pos_embed'] = (
            f'fixed sinusoid, computed by {layout.title}')
    elif table is not None and not keep_pos_embed:
        _fail(f'{layout.title} computes a fixed sinusoid and cannot hold a '
              'learned or resampled position table', ['backbone.pos_embed'])
    converted = _rename(state_dict, layout, to_ours=False)
    return Conversion(converted, 'mmvmae', target, kind, num_source_keys,
                      dropped)


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f'kind must be one of {KINDS}, got {kind!r}')
    return kind


def official_to_mmvmae(
        state_dict: Mapping[str, torch.Tensor],
        kind: str = 'auto',
        input_size: Optional[Tuple[int, int]] = None) -> Conversion:
    """Official VideoMAE / VideoMAE V2 weights -> mmvmae.

    A ``module.`` prefix (DDP) is removed first. ``'auto'`` reads a
    checkpoint with ``encoder_to_decoder``, ``mask_token`` or ``decoder.*``
    as pretraining and any other as fine-tuned. Fine-tuned keys may carry a
    ``backbone.`` or ``encoder.`` prefix.

    Args:
        state_dict (dict): The official weights.
        kind (str): ``'auto'``, ``'pretrain'`` or ``'finetune'``.
        input_size (tuple[int, int], optional): (num_frames, img_size): add
            the fixed ``backbone.pos_embed`` for this input when absent, as
            mmaction2's ``VisionTransformer`` loads strictly. mmvmae's
            ``VideoViT`` makes its own.

    Returns:
        Conversion: ``backbone``/``neck`` (pretrain) or
        ``backbone``/``cls_head`` (finetune) weights.
    """
    state_dict = _strip_prefixes(state_dict, ('module.', ))
    if _check_kind(kind) == 'auto':
        kind = 'pretrain' if any(
            key in ('encoder_to_decoder.weight', 'mask_token')
            or key.startswith('decoder.') for key in state_dict) else (
                'finetune')
    if kind == 'finetune':
        state_dict = _strip_prefixes(state_dict, ('backbone.', 'encoder.'))
    return _import(state_dict, OFFICIAL_LAYOUTS[kind], 'videomae_official',
                   input_size)


def mmvmae_kind(state_dict: Mapping[str, torch.Tensor]) -> str:
    """``'pretrain'`` if the weights have a ``neck``, else ``'finetune'``."""
    return ('pretrain' if any(key.startswith('neck.') for key in state_dict)
            else 'finetune')


def mmvmae_to_official(state_dict: Mapping[str, torch.Tensor],
                       kind: str = 'auto') -> Conversion:
    """mmvmae weights -> official VideoMAE layout.

    A fixed sinusoid ``backbone.pos_embed`` is dropped (the official code
    computes it and does not save it); another table (e.g. resampled to a
    new input size) is kept as ``encoder.pos_embed`` / ``pos_embed``.

    Args:
        state_dict (dict): mmvmae weights (``VideoMAE`` or a recognizer).
        kind (str): ``'auto'`` (pretrain if there is a ``neck``),
            ``'pretrain'`` or ``'finetune'``.

    Returns:
        Conversion: The official weights.
    """
    if _check_kind(kind) == 'auto':
        kind = mmvmae_kind(state_dict)
    return _export(state_dict, OFFICIAL_LAYOUTS[kind], 'videomae_official',
                   keep_pos_embed=True)


def _merge_qkv(state_dict: Mapping[str, torch.Tensor]) -> StateDict:
    """Concatenate transformers' query/key/value weights into ``qkv``."""
    out, groups = {}, {}
    for key, value in state_dict.items():
        match = HF_QKV_PART.fullmatch(key)
        if match:
            groups.setdefault(match[1], {})[match[2]] = value
        else:
            out[key] = value
    missing = [f'{prefix}{part}.weight' for prefix, found in groups.items()
               for part in HF_QKV_PARTS if part not in found]
    if missing:
        _fail('incomplete query/key/value projections', missing)
    for prefix, found in groups.items():
        out[prefix + 'qkv.weight'] = torch.cat(
            [found[part] for part in HF_QKV_PARTS])
    return out


def _split_qkv(state_dict: Mapping[str, torch.Tensor]) -> StateDict:
    """Split merged ``qkv`` weights into transformers' query/key/value."""
    out = {}
    for key, value in state_dict.items():
        if not key.endswith(HF_QKV):
            out[key] = value
            continue
        prefix = key[:-len('qkv.weight')]
        for part, chunk in zip(HF_QKV_PARTS, value.chunk(3)):
            out[f'{prefix}{part}.weight'] = chunk.clone()
    return out


def hf_to_mmvmae(state_dict: Mapping[str, torch.Tensor],
                 input_size: Optional[Tuple[int, int]] = None) -> Conversion:
    """transformers VideoMAE weights -> mmvmae.

    Takes ``VideoMAEForPreTraining`` (pretrain), ``VideoMAEForVideo
    Classification`` or a bare ``VideoMAEModel`` (finetune) weights.

    Args:
        state_dict (dict): The transformers weights.
        input_size (tuple[int, int], optional): See
            :func:`official_to_mmvmae`.

    Returns:
        Conversion: The mmvmae weights.
    """
    state_dict = {
        ('videomae.' + key if key.startswith(HF_BARE_PREFIXES) else key):
        value
        for key, value in state_dict.items()
    }
    kind = 'pretrain' if any(
        key == 'encoder_to_decoder.weight' or key.startswith('decoder.')
        for key in state_dict) else 'finetune'
    conversion = _import(_merge_qkv(state_dict), HF_LAYOUTS[kind],
                         'transformers_videomae', input_size)
    conversion.num_source_keys = len(state_dict)
    return conversion


def mmvmae_to_hf(state_dict: Mapping[str, torch.Tensor]) -> Conversion:
    """mmvmae weights -> transformers VideoMAE layout.

    A ``VideoMAE`` becomes ``VideoMAEForPreTraining`` weights; a recognizer
    becomes ``VideoMAEForVideoClassification`` weights. transformers has no
    layer scale (``gamma_1``/``gamma_2``) and no learned position table:
    both are refused.

    Args:
        state_dict (dict): mmvmae weights.

    Returns:
        Conversion: The transformers weights.
    """
    conversion = _export(state_dict, HF_LAYOUTS[mmvmae_kind(state_dict)],
                         'transformers_videomae', keep_pos_embed=False)
    conversion.state_dict = _split_qkv(conversion.state_dict)
    return conversion


def hf_config(state_dict: Mapping[str, torch.Tensor],
              num_heads: int,
              image_size: int = 224,
              num_frames: int = 16,
              decoder_num_heads: Optional[int] = None,
              norm_eps: float = 1e-6) -> dict:
    """transformers ``VideoMAEConfig`` entries (``config.json``) for mmvmae
    weights.

    Args:
        state_dict (dict): mmvmae weights.
        num_heads (int): Encoder attention heads (not in the weights).
        image_size (int): Input size. Defaults to 224.
        num_frames (int): Input frames. Defaults to 16.
        decoder_num_heads (int, optional): Decoder heads; needed for
            pretraining weights.
        norm_eps (float): ``layer_norm_eps`` (transformers' default is
            1e-12; VideoMAE and mmvmae use 1e-6). Defaults to 1e-6.

    Returns:
        dict: JSON-serializable config.
    """
    arch = describe_arch(state_dict)
    config = dict(
        model_type='videomae',
        image_size=image_size,
        patch_size=arch['patch_size'],
        num_channels=arch['in_channels'],
        num_frames=num_frames,
        tubelet_size=arch['tubelet_size'],
        hidden_size=arch['embed_dims'],
        num_hidden_layers=arch['depth'],
        num_attention_heads=num_heads,
        intermediate_size=round(arch['embed_dims'] * arch['mlp_ratio']),
        hidden_act='gelu',
        qkv_bias=arch['qkv_bias'],
        use_mean_pooling=arch['use_mean_pooling'],
        layer_norm_eps=norm_eps)
    decoder = arch.get('decoder')
    if decoder is not None:
        if decoder_num_heads is None:
            raise ValueError('pretraining weights need decoder_num_heads')
        config.update(
            architectures=['VideoMAEForPreTraining'],
            decoder_hidden_size=decoder['embed_dims'],
            decoder_num_hidden_layers=decoder['depth'],
            decoder_num_attention_heads=decoder_num_heads,
            decoder_intermediate_size=round(decoder['embed_dims'] *
                                            decoder['mlp_ratio']),
            norm_pix_loss=True)
    else:
        config['architectures'] = ['VideoMAEForVideoClassification']
    if 'num_classes' in arch:
        config['id2label'] = {
            str(i): f'LABEL_{i}' for i in range(arch['num_classes'])
        }
        config['label2id'] = {
            f'LABEL_{i}': i for i in range(arch['num_classes'])
        }
    return config


def load_torch_file(path: str) -> dict:
    """``torch.load(path, weights_only=True)`` on CPU.

    ``argparse.Namespace`` (the ``args`` entry of official checkpoints) is
    allowed: it unpickles into attributes only, whose values go through the
    same restricted unpickler.

    Raises:
        CheckpointConversionError: If the file holds other objects.
    """
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointConversionError(
            f'{path} holds objects that torch.load(weights_only=True) '
            'refuses to unpickle. If you trust the file, re-save only its '
            'weights and convert that file: torch.save({"model": '
            f'torch.load("{path}", weights_only=False)["model"]}}, '
            f'"weights.pth"). Original error: {str(err).splitlines()[0]}'
        ) from err


def extract_state_dict(checkpoint: Mapping,
                       entries: Sequence[str] = WEIGHT_ENTRIES
                       ) -> Tuple[StateDict, List[str]]:
    """The weights of a loaded checkpoint and its other entries.

    Args:
        checkpoint (dict): A loaded checkpoint: a state dict, or a dict with
            the weights under the first of ``entries`` it has.
        entries (Sequence[str]): Where the weights may sit.

    Returns:
        tuple[dict, list]: The state dict and the other top-level entries.

    Raises:
        CheckpointConversionError: If no weights are found, or they hold
            values other than tensors.
    """
    if not isinstance(checkpoint, Mapping):
        raise CheckpointConversionError(
            f'expected a dict checkpoint, got {type(checkpoint).__name__}')
    entry = next((name for name in entries if name in checkpoint), None)
    state_dict = checkpoint if entry is None else checkpoint[entry]
    ignored = [] if entry is None else [
        str(name) for name in checkpoint if name != entry]
    others = [str(key) for key, value in state_dict.items()
              if not isinstance(value, torch.Tensor)]
    if others:
        _fail(f'no weights found: expected a state dict or one of the '
              f'entries {list(entries)}; entries that are not tensors',
              others)
    return dict(state_dict), ignored


def load_hf_state_dict(path: str) -> Tuple[StateDict, Optional[dict]]:
    """Read local transformers weights, never downloading.

    Args:
        path (str): A model directory (with ``model.safetensors`` or
            ``pytorch_model.bin``) or one of those files.

    Returns:
        tuple[dict, dict | None]: The state dict and the ``config.json``
        next to the weights, if any.
    """
    if osp.isdir(path):
        file = next((osp.join(path, name) for name in HF_WEIGHT_FILES
                     if osp.isfile(osp.join(path, name))), None)
        if file is None:
            raise FileNotFoundError(
                f'{path} has none of {list(HF_WEIGHT_FILES)} (sharded '
                'checkpoints are not supported)')
    elif osp.isfile(path):
        file = path
    else:
        raise FileNotFoundError(f'no such file or directory: {path}')
    if file.endswith('.safetensors'):
        from safetensors.torch import load_file
        state_dict = load_file(file)
    else:
        state_dict, _ = extract_state_dict(load_torch_file(file), ())
    config_file = osp.join(osp.dirname(file), 'config.json')
    config = None
    if osp.isfile(config_file):
        with open(config_file) as f:
            config = json.load(f)
    return state_dict, config


def save_mmvmae_checkpoint(path: str, conversion: Conversion,
                           **meta) -> None:
    """Save ``{'state_dict': ..., 'meta': ...}`` loadable with
    ``torch.load(weights_only=True)`` and mmengine's ``load_checkpoint``.

    Args:
        path (str): Output file.
        conversion (Conversion): A conversion to mmvmae.
        **meta: Extra plain-typed ``meta`` entries.
    """
    _make_parent(path)
    torch.save(dict(state_dict=conversion.state_dict,
                    meta={**conversion.meta(), **meta}), path)


def _make_parent(path: str) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)


def _file_name(path: str) -> str:
    """Last component of a file or directory path, for ``meta``."""
    return osp.basename(osp.normpath(path))


def convert_official_file(
        src: str,
        dst: str,
        kind: str = 'auto',
        input_size: Optional[Tuple[int, int]] = None) -> Conversion:
    """Convert an official VideoMAE checkpoint file to an mmvmae one.

    See :func:`official_to_mmvmae` for ``kind`` and ``input_size``.
    """
    state_dict, ignored = extract_state_dict(
        load_torch_file(src), ('model', 'module', 'state_dict'))
    conversion = official_to_mmvmae(state_dict, kind, input_size)
    conversion.ignored = ignored
    save_mmvmae_checkpoint(dst, conversion, source_file=_file_name(src))
    return conversion


def convert_to_official_file(src: str, dst: str,
                             kind: str = 'auto') -> Conversion:
    """Convert an mmvmae checkpoint file to the official layout, saved as
    ``{'model': state_dict}`` (what the official code loads)."""
    state_dict, ignored = extract_state_dict(load_torch_file(src))
    conversion = mmvmae_to_official(state_dict, kind)
    conversion.ignored = ignored
    _make_parent(dst)
    torch.save(dict(model=conversion.state_dict), dst)
    return conversion


def convert_hf_file(
        src: str,
        dst: str,
        input_size: Optional[Tuple[int, int]] = None) -> Conversion:
    """Convert local transformers VideoMAE weights to an mmvmae checkpoint.

    The ``config.json`` next to the weights, if any, is kept in
    ``meta['hf_config']``.
    """
    state_dict, config = load_hf_state_dict(src)
    conversion = hf_to_mmvmae(state_dict, input_size)
    extra = {} if config is None else dict(hf_config=config)
    save_mmvmae_checkpoint(dst, conversion, source_file=_file_name(src),
                           **extra)
    return conversion


def convert_to_hf_dir(src: str,
                      dst: str,
                      num_heads: Optional[int] = None,
                      **config_args) -> Conversion:
    """Convert an mmvmae checkpoint file to a transformers model directory.

    Writes ``model.safetensors`` and, when ``num_heads`` is given,
    ``config.json`` (see :func:`hf_config`).

    Args:
        src (str): mmvmae checkpoint.
        dst (str): Output directory.
        num_heads (int, optional): Encoder heads; None writes no config.
        **config_args: Other arguments of :func:`hf_config`.
    """
    from safetensors.torch import save_file
    state_dict, ignored = extract_state_dict(load_torch_file(src))
    conversion = mmvmae_to_hf(state_dict)
    conversion.ignored = ignored
    config = None if num_heads is None else hf_config(
        state_dict, num_heads, **config_args)
    os.makedirs(dst, exist_ok=True)
    save_file({key: value.contiguous()
               for key, value in conversion.state_dict.items()},
              osp.join(dst, 'model.safetensors'), metadata={'format': 'pt'})
    if config is not None:
        with open(osp.join(dst, 'config.json'), 'w') as f:
            json.dump(config, f, indent=2)
    return conversion
