# VideoMAE ViT-H/16 K400 pretraining of the parent config on DeepSpeed
# ZeRO-2 (mmengine FlexibleRunner; tools/train.py picks it for a config
# with a `strategy`; needs `pip install deepspeed`): gradients and AdamW
# state sharded over the GPUs, bf16 weights and clips (DeepSpeed's bf16
# mode). Checkpoints are DeepSpeed folders. Untested on GPUs here;
# docs/distributed.md. Fine-tuned by the parent's successor
# videomae_vit-huge-p16_64xb2-50e_k400-finetune.py with its
# model.backbone.init_cfg.checkpoint set to this run's converted weights.
_base_ = ['./videomae_vit-huge-p16_64xb16-1600e_k400-pretrain.py']

strategy = dict(
    type='DeepSpeedStrategy',
    zero_optimization=dict(stage=2, overlap_comm=True),
    bf16=dict(enabled=True),
    inputs_to_half=['inputs'])
optim_wrapper = dict(_delete_=True, type='DeepSpeedOptimWrapper',
                     optimizer=_base_.optim_wrapper.optimizer,
                     paramwise_cfg=_base_.optim_wrapper.paramwise_cfg)
