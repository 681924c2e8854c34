"""Frame masking: whole temporal slices, exact counts, clear errors."""
import numpy as np
import pytest
import torch
from conftest import demo_config
from mmengine.runner import Runner

from mmvmae.datasets.transforms import FrameMaskGenerator


def clip(frames=16, size=224):
    return dict(imgs=np.zeros((1, 3, frames, size, size), np.uint8))


def test_frame_mask_hides_whole_slices(seeded):
    out = FrameMaskGenerator(0.875)(clip())  # VideoMAE's ablation: 7 of 8
    assert out['token_grid'] == (8, 14, 14)
    assert len(out['visible_ids']) == 196 and len(out['masked_ids']) == 1372
    visible_slices = np.unique(out['visible_ids'] // 196)
    assert len(visible_slices) == 1
    assert np.array_equal(out['visible_ids'],
                          visible_slices[0] * 196 + np.arange(196))
    assert np.array_equal(
        np.sort(np.concatenate([out['visible_ids'], out['masked_ids']])),
        np.arange(1568))


def test_frame_mask_counts_and_determinism():
    gen = FrameMaskGenerator(0.5, patch_size=8)
    np.random.seed(1)
    first = gen(clip(8, 64))['visible_ids']
    np.random.seed(1)
    assert np.array_equal(first, gen(clip(8, 64))['visible_ids'])
    assert len(first) == 2 * 64  # 2 of 4 slices visible
    slices = {tuple(np.unique(gen(clip(8, 64))['visible_ids'] // 64))
              for _ in range(30)}
    assert len(slices) == 6  # every pair of slices occurs


@pytest.mark.parametrize('ratio, message', [
    (0.2, 'masks 0 of 4 temporal slices'),
    (0.99, None),  # int(3.96) = 3 of 4: fine
])
def test_frame_mask_ratio_must_leave_and_hide_slices(ratio, message):
    gen = FrameMaskGenerator(ratio, patch_size=8)
    if message is None:
        assert len(gen(clip(8, 64))['visible_ids']) == 64
        return
    with pytest.raises(ValueError, match=message):
        gen(clip(8, 64))


def test_frame_mask_bad_ratio_fails_at_build():
    with pytest.raises(ValueError, match=r'mask_ratio must be in \(0, 1\)'):
        FrameMaskGenerator(1.)


def test_frame_mask_demo_config_trains(toy_data, tmp_path):
    cfg = demo_config('frame-mask_vit-tiny-p8_1xb8-toy_pretrain', toy_data,
                      str(tmp_path), **{'train_cfg.max_epochs': 1,
                                        'train_dataloader.batch_size': 4})
    runner = Runner.from_cfg(cfg)
    sample = runner.train_dataloader.dataset[0][0]['data_samples']
    assert len(sample.visible_ids) == 64  # 1 of 4 slices of 8x8 tokens
    assert len(np.unique(sample.visible_ids // 64)) == 1
    runner.train()
    assert runner.iter == 2  # 8 videos, batch 4
    loss = runner.message_hub.get_scalar('train/loss_pix').current()
    assert torch.isfinite(torch.tensor(loss))
