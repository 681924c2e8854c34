# Fine-tuning model: the pretrained ViT-B/16 encoder (mean pooling + a fresh
# `fc_norm`, drop path 0.1) and a linear head (mmaction2 TimeSformerHead).
# Label smoothing 0.1; test views are averaged as softmax probabilities
# (reference notes section 1.5). The number of classes and the data
# preprocessor (with mixup / cutmix) come from the dataset base; a leaf sets
# `cls_head.num_classes` from it and the pretrained checkpoint.
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VideoViT',
        arch='base',
        img_size=224,
        patch_size=16,
        num_frames=16,
        tubelet_size=2,
        drop_path_rate=0.1,
        use_mean_pooling=True),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=400,
        in_channels=768,
        label_smooth_eps=0.1,
        average_clips='prob'))
