# MGM (motion-guided masking, Fan et al. ICCV 2023) pretraining of the tiny
# demo ViT on the toy videos: the VideoMAE demo with the codec's motion
# vectors moving the mask (docs/methods/mgm.md). The toy videos are H.264
# (or MPEG-4 Part 2 where PyAV has no libx264): both carry motion vectors.
# A video without them would get a tube mask, logged with its name and
# counted (fallback='tube'; 'error' stops instead).
# Fine-tuned by mgm_vit-tiny-p8_1xb8-toy_finetune.py.
_base_ = ['./videomae_vit-tiny-p8_1xb8-toy_pretrain.py']

patch_size = 8
tubelet_size = 2
train_dataloader = dict(
    dataset=dict(
        # Frames and motion vectors in one PyAV pass.
        decoder=dict(type='MotionVectorDecode'),
        pipeline=[
            # The VideoMAE demo's augmentation (crop, resize, format).
            *_base_.train_pipeline[:-2],
            dict(
                type='MotionGuidedMaskGenerator',
                mask_ratio=0.75,
                patch_size=patch_size,
                tubelet_size=tubelet_size,
                fallback='tube'),
            dict(
                type='PackActionInputs',
                algorithm_keys=('visible_ids', 'masked_ids'))
        ]))
