"""Weighted k-nearest-neighbour classification of frozen features."""
import torch
import torch.nn.functional as F


def weighted_knn(train_feats: torch.Tensor,
                 train_labels: torch.Tensor,
                 test_feats: torch.Tensor,
                 num_classes: int,
                 k: int = 20,
                 temperature: float = 0.07,
                 chunk_size: int = 256) -> torch.Tensor:
    """Score test features by a similarity-weighted vote of their neighbours.

    The weighted kNN of DINO (Caron et al., 2021): features are compared by
    cosine similarity, each test feature takes its ``k`` most similar
    training features and every neighbour votes for its label with weight
    ``exp(sim / temperature)``. The votes of a row are divided by their sum
    (so a row is a distribution over classes; the ranking of the classes is
    that of the raw votes) and are computed as
    ``exp((sim - max_sim) / temperature)`` first, which cannot overflow.

    Args:
        train_feats (Tensor): Memory features (N, C); need not be
            normalized.
        train_labels (Tensor): Memory labels (N, ), integers in
            ``[0, num_classes)``.
        test_feats (Tensor): Query features (M, C); need not be normalized.
        num_classes (int): Number of classes.
        k (int): Neighbours per query; at most N are used. Defaults to 20.
        temperature (float): Temperature of the vote weights.
            Defaults to 0.07.
        chunk_size (int): Queries compared at once, bounding the memory of
            the (chunk, N) similarity matrix. Defaults to 256.

    Returns:
        Tensor: Class scores (M, num_classes), float32, rows summing to 1,
        on the device of ``test_feats``.

    Raises:
        ValueError: On mismatched shapes, an empty memory, ``k < 1``,
            ``temperature <= 0`` or labels outside ``[0, num_classes)``.
    """
    if train_feats.dim() != 2 or test_feats.dim() != 2 or (
            train_feats.shape[1] != test_feats.shape[1]):
        raise ValueError(
            'expected features (N, C) and (M, C), got '
            f'{tuple(train_feats.shape)} and {tuple(test_feats.shape)}')
    if train_labels.shape != train_feats.shape[:1]:
        raise ValueError(f'expected {train_feats.shape[0]} labels, got '
                         f'shape {tuple(train_labels.shape)}')
    if train_feats.shape[0] == 0:
        raise ValueError('the memory of the kNN has no features')
    if k < 1 or temperature <= 0:
        raise ValueError(f'need k >= 1 and temperature > 0, got k={k}, '
                         f'temperature={temperature}')
    if train_labels.min() < 0 or train_labels.max() >= num_classes:
        raise ValueError(
            f'memory labels must lie in [0, {num_classes}), got '
            f'[{int(train_labels.min())}, {int(train_labels.max())}]; '
            'is the memory list unlabelled?')
    device = test_feats.device
    memory = F.normalize(train_feats.to(device, torch.float32), dim=1)
    labels = train_labels.to(device, torch.long)
    k = min(k, memory.shape[0])
    scores = []
    for queries in test_feats.split(chunk_size):
        sim = F.normalize(queries.float(), dim=1) @ memory.T
        top_sim, top_idx = sim.topk(k, dim=1)
        weights = ((top_sim - top_sim[:, :1]) / temperature).exp()
        votes = weights.new_zeros(len(queries), num_classes).scatter_add_(
            1, labels[top_idx], weights)
        scores.append(votes / votes.sum(1, keepdim=True))
    return torch.cat(scores)
