"""Load an encoder from a checkpoint in any layout mmvmae converts."""
import os.path as osp
from typing import Dict, Mapping, Tuple

import torch
from torch import nn

# A module import, read at call time: checkpoint_convert imports
# mmvmae.models, whose modules may import this one.
from . import checkpoint_convert as convert

StateDict = Dict[str, torch.Tensor]

HF_PREFIXES = ('videomae.', 'embeddings.')
# mmvmae / mmaction2 encoders: one backbone, or one per modality.
MMVMAE_PREFIXES = ('backbone.', 'encoders.')
# Resampled to the encoder's grid by VideoViT, or computed when absent.
POSITION_TABLE = 'pos_embed'


def to_mmvmae_layout(state_dict: Mapping[str, torch.Tensor]
                     ) -> Tuple[StateDict, str]:
    """Weights of any supported layout under mmvmae keys.

    mmvmae / mmaction2 weights (``backbone.*``, ``encoders.<modality>.*``)
    are kept; transformers weights (``videomae.*`` or a bare
    ``VideoMAEModel``) and official VideoMAE / V2 weights (pretraining or
    fine-tuned) are converted, with the checks of
    :mod:`mmvmae.utils.checkpoint_convert`.

    Returns:
        tuple[dict, str]: The weights and the name of their source layout.
    """
    if any(key.startswith(MMVMAE_PREFIXES) for key in state_dict):
        return dict(state_dict), 'mmvmae'
    if any(key.startswith(HF_PREFIXES) for key in state_dict):
        conversion = convert.hf_to_mmvmae(state_dict)
    else:
        conversion = convert.official_to_mmvmae(state_dict)
    return conversion.state_dict, conversion.source


def read_weights(path: str, role: str = 'the encoder') -> StateDict:
    """The state dict of a checkpoint file (or transformers directory);
    ``role`` names its use in the error for a missing path."""
    if not osp.exists(path):
        raise FileNotFoundError(f'no checkpoint for {role} at {path}')
    if osp.isdir(path) or path.endswith('.safetensors'):
        return convert.load_hf_state_dict(path)[0]
    return convert.extract_state_dict(convert.load_torch_file(path))[0]


def _listed(lines: list) -> str:
    """The first lines, one per row, and how many more there are."""
    limit = convert.MAX_LISTED_KEYS
    shown = ''.join(f'\n  {line}' for line in lines[:limit])
    if len(lines) > limit:
        shown += f'\n  ... and {len(lines) - limit} more'
    return shown


def load_encoder_checkpoint(encoder: nn.Module,
                            path: str,
                            prefix: str = 'backbone.',
                            role: str = 'the encoder') -> str:
    """Load the encoder weights of a checkpoint into ``encoder``, strictly.

    Reads mmvmae / mmaction2 checkpoints (a Runner's or a converted one),
    official VideoMAE / VideoMAE V2 checkpoints and transformers VideoMAE
    weights (a ``.safetensors`` / ``.bin`` file or a model directory),
    always with ``weights_only=True``. The weights under ``prefix`` (after
    conversion to mmvmae keys) must match the encoder's keys and shapes;
    only the fixed position table may be absent or of another grid.

    Args:
        encoder (nn.Module): E.g. a ``VideoViT``.
        path (str): Checkpoint file or transformers directory.
        prefix (str): Prefix of the encoder keys in mmvmae layout.
            Defaults to ``'backbone.'``.
        role (str): What the encoder is, for error messages. Defaults to
            ``'the encoder'``.

    Returns:
        str: What was loaded, for the log.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: Naming the keys that are missing, unexpected or of
            another shape, with both shapes, and ``path``.
    """
    weights, source = to_mmvmae_layout(read_weights(path, role))
    weights = {
        key[len(prefix):]: value
        for key, value in weights.items() if key.startswith(prefix)
    }
    if not weights:
        raise ValueError(f'{path} holds no encoder weights (no key starts '
                         f'with {prefix!r})')
    own = encoder.state_dict()
    problems = [f'missing {prefix}{key}'
                for key in sorted(set(own) - set(weights))
                if key != POSITION_TABLE]
    problems += [f'unexpected {prefix}{key}'
                 for key in sorted(set(weights) - set(own))]
    problems += [
        f'{prefix}{key}: {tuple(value.shape)} in the checkpoint, '
        f'{tuple(own[key].shape)} in the model'
        for key, value in sorted(weights.items())
        if key in own and key != POSITION_TABLE
        and value.shape != own[key].shape
    ]
    if problems:
        raise ValueError(
            f'{path} ({source} layout) does not fit {role} '
            f'({type(encoder).__name__}, {len(problems)} problems):'
            f'{_listed(problems)}\nCheck the encoder arch and its final '
            'norm: a pretraining encoder ends in norm '
            '(use_mean_pooling=False), a fine-tuned one in fc_norm '
            '(use_mean_pooling=True).')
    encoder.load_state_dict(weights, strict=True)
    return f'{len(weights)} encoder tensors from {path} ({source} layout)'
