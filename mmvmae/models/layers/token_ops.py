"""Index-based token selection (static shapes, no host sync)."""
import torch


def gather_tokens(x: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Select tokens ``ids`` (B, K) from ``x`` (B or 1, N, C) -> (B, K, C)."""
    if x.shape[0] == 1 and ids.shape[0] != 1:
        x = x.expand(ids.shape[0], -1, -1)
    index = ids.unsqueeze(-1).expand(-1, -1, x.shape[-1])
    return torch.gather(x, 1, index)


def gather_tubelets(clip: torch.Tensor, ids: torch.Tensor, tubelet: int,
                    patch: int) -> torch.Tensor:
    """Pixels of the tubelets ``ids`` (B, K) of a clip (B, C, T, H, W).

    Tokens are numbered in (t h w) order over the grid (T / tubelet,
    H / patch, W / patch). The tubelets are gathered by indexing a view of
    the clip, so the other tubelets are never copied.

    Returns:
        Tensor: (B, K, C, tubelet, patch, patch).
    """
    b, c, t, h, w = clip.shape
    h, w = h // patch, w // patch
    cubes = clip.reshape(b, c, t // tubelet, tubelet, h, patch, w, patch)
    batch = torch.arange(b, device=ids.device).unsqueeze(1)
    # Advanced indices split by slices go first: (B, K, C, tubelet, p, p).
    return cubes[batch, :, ids // (h * w), :, ids // w % h, :, ids % w, :]
