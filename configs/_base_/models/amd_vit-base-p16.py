# AMD student ViT-B/16 (the VideoMAE ViT-B pretraining model: encoder,
# 384-wide 4-block decoder, pixel head) distilled from a frozen VideoMAE
# ViT-L/16 encoder (reference notes section 4). Student blocks 6 and 12 are
# aligned with teacher blocks 12 and 24 (raw block outputs), each through a
# bias-free Linear(768 -> 1024) shared by the direct branch and a 2-block
# generator (1024 wide, 16 heads); l2 losses, weights 1 / 1 / 1. The leaf
# config sets `teacher_checkpoint`.
_base_ = ['./videomae_vit-base-p16.py']

model = dict(
    type='AMD',
    teacher=dict(
        type='VideoViT',
        arch='large',
        img_size=224,
        patch_size=16,
        num_frames=16,
        tubelet_size=2,
        use_mean_pooling=False),
    layer_pairs=((6, 12), (12, 24)),
    generator=dict(type='FeatureGenerator', depth=2),
    direct_loss=dict(
        type='FeatureAlignmentLoss', criterion='l2', loss_weight=1.),
    generation_loss=dict(
        type='FeatureAlignmentLoss', criterion='l2', loss_weight=1.))
