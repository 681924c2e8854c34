"""Log reconstructions of a fixed training sample during pretraining."""
from typing import Optional

import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmvmae.registry import HOOKS
from mmvmae.visualization import reconstruction_grid


@HOOKS.register_module()
class ReconstructionVisualizationHook(Hook):
    """Every ``interval`` epochs, reconstruct one training sample and send
    the grid (input / masked input / reconstruction) to the visualizer's
    backends (local files, TensorBoard, W&B, ...).

    Args:
        interval (int): Epochs between images. Defaults to 1.
        dataset_index (int): Which training sample. Defaults to 0.
        max_frames (int): Frames per row. Defaults to 8.
    """

    priority = 'LOW'

    def __init__(self, interval: int = 1, dataset_index: int = 0,
                 max_frames: int = 8) -> None:
        self.interval = interval
        self.dataset_index = dataset_index
        self.max_frames = max_frames

    def after_train_epoch(self, runner) -> None:
        """Render and log the grid when the epoch is a multiple of
        ``interval`` (and after the last epoch)."""
        if not (self.every_n_epochs(runner, self.interval)
                or self.is_last_train_epoch(runner)):
            return
        self.log_grid(runner, runner.epoch)

    def log_grid(self, runner, step: int) -> Optional[torch.Tensor]:
        """Reconstruct the sample and add it to the visualizer."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        item = runner.train_dataloader.dataset[self.dataset_index]
        batch = pseudo_collate(item if isinstance(item, list) else [item])
        was_training = model.training
        model.eval()
        with torch.no_grad():
            data = model.data_preprocessor(batch, False)
            outputs = model(**data, mode='predict')
        model.train(was_training)
        grid = reconstruction_grid(outputs, 0, self.max_frames)
        runner.visualizer.add_image('reconstruction', grid, step=step)
        return grid
