# AdaMAE pretraining of the tiny ViT on the toy videos: the VideoMAE demo
# with a learned token sampler instead of tube masking (docs/methods/
# adamae.md). The sampler draws the visible tokens inside the model, so the
# pipeline has no mask generator.
# Fine-tuned by adamae_vit-tiny-p8_1xb8-toy_finetune.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

model = dict(
    type='AdaMAE',
    # 4 x 8 x 8 = 256 tokens; 0.9 leaves int(256 x 0.1) = 25 visible.
    # AdaMAE's 0.95 would leave 12, too few for this small a grid.
    sampler=dict(type='AdaptiveTokenSampler', mask_ratio=0.9, num_heads=4))

# The VideoMAE demo's augmentation, without its TubeMaskGenerator.
train_dataloader = dict(
    dataset=dict(pipeline=[
        *_base_.train_pipeline[:-2],
        dict(type='PackActionInputs')
    ]))
# The sampler's position table: no weight decay, like the encoder's.
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(pos_embed=dict(decay_mult=0.))))
