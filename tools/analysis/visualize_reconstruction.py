"""Write PNG grids (input / masked input / reconstruction) of a pretrained
VideoMAE model on samples of its training pipeline.

Example::

    python tools/analysis/visualize_reconstruction.py \\
        configs/demo/videomae_vit-tiny-p8_1xb8-toy_pretrain.py \\
        work_dirs/videomae_vit-tiny-p8_1xb8-toy_pretrain/epoch_20.pth \\
        --out-dir work_dirs/reconstruction --num-samples 4
"""
import argparse
import os
import os.path as osp

import mmvmae  # noqa: F401  isort:skip  (shims and registries first)
import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from PIL import Image

from mmvmae.registry import DATASETS, MODELS
from mmvmae.visualization import reconstruction_grid


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='pretraining config')
    parser.add_argument('checkpoint', help='checkpoint of that config')
    parser.add_argument('--out-dir', default='work_dirs/reconstruction')
    parser.add_argument('--num-samples', type=int, default=4)
    parser.add_argument('--max-frames', type=int, default=8)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def main(argv=None) -> list:
    """Render ``--num-samples`` grids; returns the written paths."""
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmvmae'))
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    os.makedirs(args.out_dir, exist_ok=True)
    paths = []
    for index in range(min(args.num_samples, len(dataset))):
        item = dataset[index]
        batch = pseudo_collate(item[:1] if isinstance(item, list) else [item])
        with torch.no_grad():
            outputs = model(**model.data_preprocessor(batch), mode='predict')
        path = osp.join(args.out_dir, f'reconstruction_{index:03d}.png')
        Image.fromarray(reconstruction_grid(outputs, 0,
                                            args.max_frames)).save(path)
        paths.append(path)
        print(f'wrote {path}')
    return paths


if __name__ == '__main__':
    main()
