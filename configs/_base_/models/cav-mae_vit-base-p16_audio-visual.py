# CAV-MAE audio-visual fine-tuning model (reference notes multimodal-mae.md
# section 1.2; cav-mae src/models/cav_mae.py CAVMAEFT, ftmode multimodal),
# as AudioVisualRecognizer (docs/methods/audio_visual_mae.md): the
# pretrained frame and audio encoders (11 blocks each), the shared block
# run once over the concatenated tokens of both modalities (no modality
# norms: those serve only the pretraining contrastive features), the mean
# of all fused tokens, a linear head. Parameter names equal AudioVisualMAE's,
# so a leaf's init_cfg=dict(type='Pretrained', checkpoint=...) on the model
# loads encoders, fusion block and modality embeddings from a CAV-MAE
# pretraining checkpoint (its decoder and heads are reported unused). A leaf
# sets the classes, the loss and how test views are averaged.
embed_dims = 768
model = dict(
    type='AudioVisualRecognizer',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch=dict(embed_dims=embed_dims, depth=11, num_heads=12),
            img_size=224,
            patch_size=16,
            num_frames=1,
            tubelet_size=1,
            use_mean_pooling=False),
        audios=dict(
            type='AudioViT',
            arch=dict(embed_dims=embed_dims, depth=11, num_heads=12),
            target_length=1024,
            n_mels=128,
            patch_size=16,
            layout='ft',
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion',
        embed_dims=embed_dims,
        depth=1,
        num_heads=12,
        modality_norms=False),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=527,
        in_channels=embed_dims,
        label_smooth_eps=0.1))
