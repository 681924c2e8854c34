# The demo pretraining with the plugin's mask generator and head.
# Run: PYTHONPATH=docs/examples python tools/train.py \
#          docs/examples/my_plugin_toy_pretrain.py
_base_ = ['../../configs/demo/videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

custom_imports = dict(imports=['my_plugin'], allow_failed_imports=False)

model = dict(head=dict(type='FrameDifferenceHead'))
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='Resize', scale=(64, 64), keep_ratio=False),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='CenterMaskGenerator', mask_ratio=0.5, patch_size=8),
        dict(type='PackActionInputs',
             algorithm_keys=('visible_ids', 'masked_ids'))
    ]))
custom_hooks = []
