# ActionFormer (Zhang et al., ECCV 2022) with the THUMOS14 I3D settings of
# actionformer_release (configs/thumos_i3d.yaml over libs/core/config.py):
# 2 conv embedding layers, 2 stem and 5 downsampling transformer blocks
# (6 levels, strides 1..32), 4 heads, local window 19, 512 channels
# throughout, identity FPN, 3-layer heads, centre sampling (radius 1.5),
# focal + DIoU losses over an EMA positive count (init 100, momentum 0.9),
# drop path 0.1 with the per-channel branch scale (1e-4) it brings there.
# Dataset configs override the feature width, classes and sizes.
feature_dim = 2048
num_classes = 20
max_seq_len = 2304
embed_dims = 512
num_levels = 6

model = dict(
    type='ActionFormer',
    backbone=dict(
        type='TemporalConvTransformer',
        in_channels=feature_dim,
        embed_dims=embed_dims,
        num_heads=4,
        arch=(2, 2, num_levels - 1),
        window_size=19,
        drop_path_rate=0.1,
        layer_scale_init=1e-4,
        proj_drop=0.,
        abs_pos_embed=False,
        max_seq_len=max_seq_len),
    neck=dict(type='IdentityFPN', in_channels=embed_dims,
              num_levels=num_levels),
    cls_head=dict(
        type='TemporalClsHead',
        in_channels=embed_dims,
        feat_channels=embed_dims,
        num_classes=num_classes,
        num_convs=2,
        prior_prob=0.01),
    reg_head=dict(
        type='TemporalRegHead',
        in_channels=embed_dims,
        feat_channels=embed_dims,
        num_levels=num_levels,
        num_convs=2),
    regression_ranges=[(0, 4), (4, 8), (8, 16), (16, 32), (32, 64),
                       (64, 10000)],
    assigner=dict(type='CenterSamplingAssigner', radius=1.5),
    loss_cls=dict(type='SigmoidFocalLoss', alpha=0.25, gamma=2.),
    loss_reg=dict(type='DIoULoss1d', loss_weight=1.),
    loss_normalizer=dict(init_value=100., momentum=0.9),
    label_smoothing=0.,
    # Gaussian Soft-NMS per class (voting is class-agnostic only).
    test_cfg=dict(
        pre_nms_thresh=0.001,
        pre_nms_topk=2000,
        duration_thresh=0.05,
        nms=dict(method='gaussian', sigma=0.5, min_score=0.001,
                 max_num=200, multiclass=True)),
    # Test inputs longer than max_seq_len are padded to a multiple of
    # ActionFormer's max_div_factor, max(stride * (window // 2) * 2) = 576
    # (only the absolute position table depends on it here).
    data_preprocessor=dict(
        type='TemporalFeaturePreprocessor',
        max_seq_len=max_seq_len,
        size_divisor=576))
