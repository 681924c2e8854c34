# AV-MAE audio-visual fine-tuning model as AudioVisualRecognizer
# (docs/methods/audio_visual_mae.md): the pretrained video and spectrogram
# encoders (22 ViT-L blocks each) and the 2 mid-fusion blocks of
# av-mae_vit-large-p16.py run over all tokens of a 32-frame clip and its
# spectrogram, then the mean of all fused tokens and a linear head. AV-MAE
# fine-tunes inside MBT instead (4 bottleneck tokens from layer 18 on
# AudioSet, 16 on VGGSound; reference notes multimodal-mae.md section 1.4,
# scenic projects/av_mae/configs/*/finetune.py), which mmvmae does not
# implement; mid fusion is the pretrained model's own fusion. Stochastic
# depth 0.3 as the reference; parameter names equal AudioVisualMAE's, so a
# leaf's init_cfg=dict(type='Pretrained', checkpoint=...) on the model loads
# encoders and fusion blocks (the 16-frame video position table is
# interpolated to 32 frames). A leaf sets the classes, the loss and how
# test views are averaged.
embed_dims = 1024
model = dict(
    type='AudioVisualRecognizer',
    encoders=dict(
        imgs=dict(
            type='VideoViT',
            arch=dict(embed_dims=embed_dims, depth=22, num_heads=16),
            img_size=224,
            patch_size=16,
            num_frames=32,
            tubelet_size=2,
            drop_path_rate=0.3,
            use_mean_pooling=False),
        audios=dict(
            type='AudioViT',
            arch=dict(embed_dims=embed_dims, depth=22, num_heads=16),
            target_length=1024,
            n_mels=128,
            patch_size=16,
            layout='tf',
            drop_path_rate=0.3,
            use_mean_pooling=False)),
    fusion=dict(
        type='MidFusion',
        embed_dims=embed_dims,
        depth=2,
        num_heads=16,
        modality_norms=False,
        drop_path_rate=0.3),
    modality_embed=False,
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=527,
        in_channels=embed_dims,
        label_smooth_eps=0.3))
