# AdaMAE ViT-B/16 pretraining on Something-Something V2: VideoMAE's recipe
# (64 GPUs x 32 videos, 40 warmup epochs, 800 epochs, 16 frames at stride 2)
# with a learned token sampler at mask ratio 0.95 instead of tube masking
# (reference notes section 6; AdaMAE's example-pretrain-adamae.sh).
# Fine-tuned by:
#   configs/adamae/adamae_vit-base-p16_64xb8-50e_ssv2-finetune.py
_base_ = ['../videomae/videomae_vit-base-p16_64xb32-800e_ssv2-pretrain.py']

# 1568 tokens: int(1568 x 0.05) = 78 visible per clip.
model = dict(
    type='AdaMAE',
    sampler=dict(type='AdaptiveTokenSampler', mask_ratio=0.95))

# The sampler draws the mask inside the model: no mask generator.
train_dataloader = dict(
    dataset=dict(
        pipeline=[*_base_.train_augment,
                  dict(type='PackActionInputs')]))
