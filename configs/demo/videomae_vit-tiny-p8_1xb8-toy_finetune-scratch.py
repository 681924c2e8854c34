# The same fine-tune from random initialization: the baseline that shows
# what VideoMAE pretraining buys on the toy data.
_base_ = ['videomae_vit-tiny-p8_1xb8-toy_finetune.py']

model = dict(
    backbone=dict(init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
    ]))
