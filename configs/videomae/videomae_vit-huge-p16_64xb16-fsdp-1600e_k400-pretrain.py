# VideoMAE ViT-H/16 K400 pretraining of the parent config on FSDP (mmengine
# FlexibleRunner; tools/train.py picks it for a config with a `strategy`):
# weights, gradients and AdamW state sharded over the GPUs, one FSDP unit
# per >= 1e7 parameters (one encoder block: ViT-H has 32 of 20M each),
# bf16 autocast without a GradScaler, full checkpoints written by rank 0. Untested on GPUs here;
# docs/distributed.md. Fine-tuned by the parent's successor
# videomae_vit-huge-p16_64xb2-50e_k400-finetune.py with its
# model.backbone.init_cfg.checkpoint set to this run's last checkpoint.
_base_ = ['./videomae_vit-huge-p16_64xb16-1600e_k400-pretrain.py']

strategy = dict(
    type='FSDPStrategy',
    state_dict_cfg='full',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
            min_num_params=int(1e7)),
        use_orig_params=True))
optim_wrapper = dict(type='FiniteLossBF16OptimWrapper')
