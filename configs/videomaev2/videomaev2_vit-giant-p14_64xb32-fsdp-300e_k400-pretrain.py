# VideoMAE V2 ViT-g/14 K400 pretraining of the parent config on FSDP
# (mmengine FlexibleRunner; tools/train.py picks it for a config with a
# `strategy`): weights, gradients and AdamW state sharded over the GPUs,
# one FSDP unit per >= 1e7 parameters (one encoder block), bf16 autocast
# without a GradScaler, gradient clipping by the norm over all shards, full
# checkpoints written by rank 0. Untested on GPUs here;
# docs/distributed.md. Fine-tuned by the parent's successor
# videomaev2_vit-giant-p14_32xb3-35e_k400-finetune.py with its
# model.backbone.init_cfg.checkpoint set to this run's last checkpoint.
_base_ = ['./videomaev2_vit-giant-p14_64xb32-300e_k400-pretrain.py']

strategy = dict(
    type='FSDPStrategy',
    state_dict_cfg='full',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
            min_num_params=int(1e7)),
        use_orig_params=True))
optim_wrapper = dict(type='FiniteLossBF16OptimWrapper')
