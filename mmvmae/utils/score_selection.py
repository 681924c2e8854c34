"""Choose the encoder-visible tokens from per-token scores.

One selection logic for the pipeline transform ``ScoreMaskGenerator``
(numpy scores of one sample) and the model-side ``ScoreGuidedMasker``
(a batch of scores on the device): both hold a :class:`VisibleSelector`.
"""
from typing import Optional, Tuple

import torch

KEEP = ('high', 'low')
SAMPLE = ('topk', 'multinomial')


def num_visible(mask_ratio: float, grid: Tuple[int, int, int],
                per_slice: bool) -> int:
    """Visible tokens per temporal slice (``per_slice``) or in the clip.

    Per slice it is tube masking's count, ``H'W' - int(mask_ratio * H'W')``
    (20 of 196 at 0.9); globally random masking's, ``N - int(mask_ratio *
    N)`` (157 of 1568 at 0.9).

    Raises:
        ValueError: If the ratio leaves no token or every token visible.
    """
    t, h, w = grid
    total = h * w if per_slice else t * h * w
    count = total - int(mask_ratio * total)
    if count in (0, total):
        where = 'per temporal slice' if per_slice else 'in the clip'
        raise ValueError(f'mask_ratio={mask_ratio} leaves {count} of {total} '
                         f'tokens visible {where} on grid {tuple(grid)}')
    return count


def select_visible(scores: torch.Tensor,
                   num_visible: int,
                   keep: str = 'high',
                   sample: str = 'topk',
                   temperature: float = 1.,
                   generator: Optional[torch.Generator] = None
                   ) -> torch.Tensor:
    """Sorted ids (B, K) of ``num_visible`` distinct tokens per row.

    Args:
        scores (Tensor): (B, N) per-token scores.
        num_visible (int): K, the same for every row.
        keep (str): ``'high'`` keeps high-scoring tokens visible, ``'low'``
            low-scoring ones.
        sample (str): ``'topk'``: the K best tokens, ties broken at random.
            ``'multinomial'``: K tokens drawn without replacement with
            probability ``softmax(s / temperature)``, where ``s`` is the
            score (``keep='high'``) or its negative (``'low'``), drawn as the
            top K of ``s / temperature`` plus Gumbel noise (the same law as
            sequential draws, without underflow). A token with ``s = -inf``
            (score ``-inf`` when keeping high, ``+inf`` when keeping low)
            has probability 0 and is never drawn.
        temperature (float): Softness of ``'multinomial'``. Defaults to 1.
        generator (torch.Generator, optional): Source of randomness on the
            device of ``scores``; None uses torch's global one.

    Raises:
        ValueError: On a bad shape or count, NaN scores, or, for
            ``'multinomial'``, fewer than K tokens of non-zero probability
            (the value checks are skipped on the meta device).
    """
    if scores.dim() != 2:
        raise ValueError(f'scores must be (B, N), got shape '
                         f'{tuple(scores.shape)}')
    b, n = scores.shape
    if not 0 < num_visible <= n:
        raise ValueError(f'cannot keep {num_visible} of {n} tokens visible')
    checked = not scores.is_meta  # the meta device has no values
    if checked and torch.isnan(scores).any():
        raise ValueError('scores contain NaN')
    signed = scores.float() if keep == 'high' else -scores.float()
    noise = torch.rand(b, n, generator=generator, device=scores.device)
    if sample == 'topk':
        # Shuffle first: the stable sort then breaks ties at random.
        shuffle = noise.argsort(dim=1)
        order = signed.gather(1, shuffle).argsort(
            dim=1, descending=True, stable=True)
        chosen = shuffle.gather(1, order[:, :num_visible])
    else:
        if checked and (signed == float('inf')).any():
            raise ValueError(f"keep='{keep}' with multinomial sampling "
                             f"takes no {'+' if keep == 'high' else '-'}inf "
                             'scores (use topk to force tokens visible)')
        possible = (signed > float('-inf')).sum(1)
        if checked and (possible < num_visible).any():
            raise ValueError(
                f'multinomial sampling of {num_visible} visible tokens, but '
                f'only {int(possible.min())} tokens of a row have non-zero '
                'probability')
        tiny = torch.finfo(noise.dtype).tiny
        gumbel = -torch.log(-torch.log(noise.clamp(min=tiny)))
        chosen = (signed / temperature + gumbel).topk(num_visible,
                                                      dim=1).indices
    return chosen.sort(dim=1).values


class VisibleSelector:
    """Visible-token choice from scores on a token grid.

    Args:
        mask_ratio (float): Fraction of tokens hidden from the encoder, in
            (0, 1).
        keep (str): ``'high'`` or ``'low'``, see :func:`select_visible`.
            Defaults to ``'high'``.
        sample (str): ``'topk'`` or ``'multinomial'``. Defaults to
            ``'topk'``.
        temperature (float): For ``'multinomial'``; > 0. Defaults to 1.
        per_slice (bool): Choose within each temporal slice, with tube
            masking's count per slice (True), or over the whole clip with
            random masking's count (False). Defaults to True.

    Raises:
        ValueError: On a bad argument, naming it (at build time).
    """

    def __init__(self,
                 mask_ratio: float,
                 keep: str = 'high',
                 sample: str = 'topk',
                 temperature: float = 1.,
                 per_slice: bool = True) -> None:
        if not 0 < mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in (0, 1), got '
                             f'{mask_ratio}')
        if keep not in KEEP:
            raise ValueError(f'keep must be one of {KEEP}, got {keep!r}')
        if sample not in SAMPLE:
            raise ValueError(f'sample must be one of {SAMPLE}, got '
                             f'{sample!r}')
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.mask_ratio = mask_ratio
        self.keep = keep
        self.sample = sample
        self.temperature = temperature
        self.per_slice = per_slice

    def __call__(self,
                 scores: torch.Tensor,
                 grid: Tuple[int, int, int],
                 generator: Optional[torch.Generator] = None
                 ) -> torch.Tensor:
        """Sorted visible ids (B, K) from scores (B, N) in (t h w) order."""
        t, h, w = grid
        b = scores.shape[0]
        if scores.dim() != 2 or scores.shape[1] != t * h * w:
            raise ValueError(f'scores of shape {tuple(scores.shape)} do not '
                             f'fit grid {tuple(grid)} ({t * h * w} tokens)')
        k = num_visible(self.mask_ratio, grid, self.per_slice)
        options = dict(keep=self.keep, sample=self.sample,
                       temperature=self.temperature, generator=generator)
        if not self.per_slice:
            return select_visible(scores, k, **options)
        chosen = select_visible(scores.reshape(b * t, h * w), k, **options)
        offsets = torch.arange(t, device=scores.device) * (h * w)
        return (chosen.reshape(b, t, k) + offsets[:, None]).reshape(b, t * k)

    def __repr__(self) -> str:
        return (f'mask_ratio={self.mask_ratio}, keep={self.keep!r}, '
                f'sample={self.sample!r}, temperature={self.temperature}, '
                f'per_slice={self.per_slice}')
