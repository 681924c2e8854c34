"""Test loop of the weighted kNN evaluation of frozen features."""
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, autocast
from torch.utils.data import DataLoader

from mmvmae.evaluation import weighted_knn
from mmvmae.registry import LOOPS


def all_gather_ordered(tensor: torch.Tensor, size: int) -> torch.Tensor:
    """Gather every rank's rows in dataset order, on every rank.

    mmengine's ``DefaultSampler`` gives rank ``r`` the indices
    ``indices[r::world_size]`` of a list padded to a multiple of the world
    size; interleaving the ranks' rows and keeping the first ``size``
    restores the dataset order and drops the padding (as mmengine's
    ``collect_results`` does). Ranks may hold different numbers of rows.

    Args:
        tensor (Tensor): This rank's rows (n_rank, ...).
        size (int): Length of the dataset.

    Returns:
        Tensor: The rows of all ranks (size, ...), on the device of
        ``tensor``.
    """
    counts = torch.cat(
        all_gather(torch.tensor([len(tensor)], device=tensor.device)))
    longest = int(counts.max())
    padded = tensor.new_zeros((longest, ) + tensor.shape[1:])
    padded[:len(tensor)] = tensor
    rows = torch.stack(all_gather(padded), dim=1)
    valid = torch.arange(longest, device=tensor.device)[:, None] < counts
    return rows[valid][:size]


@LOOPS.register_module()
class KNNTestLoop(TestLoop):
    """Weighted kNN classification with the features of a frozen model.

    The model's ``mode='tensor'`` output (for ``Recognizer3D`` the backbone
    output, (B * V, C), e.g. ``VideoViT(out_type='avg')``) is averaged over
    the V views of a sample and L2-normalized. First the features of the
    memory (training) set are extracted and gathered from all ranks; then
    each test batch is classified by :func:`~mmvmae.evaluation.weighted_knn`
    against the memory, its class scores are written into the data samples
    (``pred_score``, ``pred_label``) and passed to the evaluator, as
    ``TestLoop`` does with predictions. With
    ``test_evaluator=dict(type='AccMetric', prefix='knn')`` the metrics are
    ``knn/top1``, ``knn/top5`` and ``knn/mean1``.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Test (query) dataloader.
        evaluator (Evaluator | dict | list): Metrics of the kNN scores.
        memory_dataloader (DataLoader | dict): Dataloader of the labelled
            memory set; use the test pipeline (no augmentation).
        num_classes (int): Number of classes.
        k (int): Neighbours per query. Defaults to 20.
        temperature (float): Temperature of the votes ``exp(sim / T)``.
            Defaults to 0.07.
        log_interval (int): Memory batches between progress messages (the
            test batches are logged by ``LoggerHook``). Defaults to 50.
        fp16 (bool): Extract features under autocast. Defaults to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 memory_dataloader: Union[DataLoader, Dict],
                 num_classes: int,
                 k: int = 20,
                 temperature: float = 0.07,
                 log_interval: int = 50,
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        if isinstance(memory_dataloader, dict):
            diff_rank_seed = runner._randomness_cfg.get(
                'diff_rank_seed', False)
            memory_dataloader = runner.build_dataloader(
                memory_dataloader,
                seed=runner.seed,
                diff_rank_seed=diff_rank_seed)
        self.memory_dataloader = memory_dataloader
        self.num_classes = num_classes
        self.k = k
        self.temperature = temperature
        self.log_interval = log_interval
        self.memory_feats = self.memory_labels = None

    def run(self) -> dict:
        """Extract the memory, classify the test set, return the metrics."""
        self.runner.call_hook('before_test')
        self.runner.model.eval()
        self.memory_feats, self.memory_labels = self.extract_memory()
        self.runner.call_hook('before_test_epoch')
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    @torch.no_grad()
    def extract_memory(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """Features and labels of the whole memory set, on every rank.

        Returns:
            tuple[Tensor, Tensor]: Normalized features (N, C) and labels
            (N, ), in dataset order.
        """
        feats, labels = [], []
        num_batches = len(self.memory_dataloader)
        for idx, data_batch in enumerate(self.memory_dataloader):
            batch_feats, data_samples = self.extract_feats(data_batch)
            feats.append(batch_feats)
            labels.append(self.labels_of(data_samples, batch_feats.device))
            if (idx + 1) % self.log_interval == 0 or idx + 1 == num_batches:
                self.runner.logger.info(
                    f'kNN memory: {idx + 1}/{num_batches} batches')
        size = len(self.memory_dataloader.dataset)
        feats = all_gather_ordered(torch.cat(feats), size)
        labels = all_gather_ordered(torch.cat(labels), size)
        self.runner.logger.info(
            f'kNN memory: {len(feats)} features of dim {feats.shape[1]}; '
            f'k={self.k}, temperature={self.temperature}')
        return feats, labels

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Sequence[dict]) -> None:
        """Classify one test batch by its neighbours in the memory.

        Args:
            idx (int): Index of the batch.
            data_batch (Sequence[dict]): Batch from the dataloader.
        """
        self.runner.call_hook(
            'before_test_iter', batch_idx=idx, data_batch=data_batch)
        feats, data_samples = self.extract_feats(data_batch)
        scores = weighted_knn(self.memory_feats, self.memory_labels, feats,
                              self.num_classes, self.k, self.temperature)
        for data_sample, score in zip(data_samples, scores):
            data_sample.set_pred_score(score)
            data_sample.set_pred_label(score.argmax(keepdim=True))
        self.evaluator.process(
            data_samples=data_samples, data_batch=data_batch)
        self.runner.call_hook(
            'after_test_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=data_samples)

    def extract_feats(
            self, data_batch: Sequence[dict]) -> Tuple[torch.Tensor, list]:
        """Normalized, view-averaged features of a batch.

        Args:
            data_batch (Sequence[dict]): Batch from a dataloader.

        Returns:
            tuple[Tensor, list]: Features (B, C), float32 and L2-normalized,
            and the B preprocessed data samples.

        Raises:
            ValueError: If the model output is not (B * V, C).
        """
        model = self.runner.model
        if is_model_wrapper(model):
            model = model.module
        data = model.data_preprocessor(data_batch, False)
        with autocast(enabled=self.fp16):
            feats = model._run_forward(data, mode='tensor')
        data_samples = data['data_samples']
        num_samples = len(data_samples)
        if not isinstance(feats, torch.Tensor) or feats.dim() != 2 or (
                feats.shape[0] % num_samples):
            shape = tuple(feats.shape) if isinstance(
                feats, torch.Tensor) else type(feats).__name__
            raise ValueError(
                f'kNN needs (B * views, C) features of {num_samples} '
                f'samples, the model gave {shape}; use a backbone with '
                "out_type='avg'")
        feats = feats.float().view(num_samples, -1, feats.shape[1]).mean(1)
        return F.normalize(feats, dim=1), data_samples

    @staticmethod
    def labels_of(data_samples: list, device: torch.device) -> torch.Tensor:
        """Single-label ground truth of data samples as a (B, ) tensor."""
        labels = [sample.gt_label.reshape(-1) for sample in data_samples]
        if any(len(label) != 1 for label in labels):
            raise ValueError('kNN evaluation needs one label per sample')
        return torch.cat(labels).to(device)
