# MGM ViT-B/16 pretraining on Something-Something V2: VideoMAE's recipe (64
# GPUs x 32 videos, 40 warmup epochs, 800 epochs, 16 frames at stride 2,
# tube-sized mask at 0.9), which MGM builds on, with the mask moved along
# the codec's motion vectors (reference notes section 7; docs/methods/
# mgm.md). The mask ratio and schedule are VideoMAE's: the MGM paper's own
# values could not be checked (no public code, method section not
# retrieved).
# Fine-tuned by:
#   configs/mgm/mgm_vit-base-p16_64xb8-30e_ssv2-finetune.py
_base_ = ['../videomae/videomae_vit-base-p16_64xb32-800e_ssv2-pretrain.py']

# Videos must be H.264 / MPEG-4 Part 2 with P frames: SSv2's VP9 webm files
# export no motion vectors, so use the H.264 re-encode of
# data_preparation/sthv2 (`--ext mp4`). A video without motion vectors gets
# a tube mask, logged with its name and counted, instead of stopping a run.
train_dataloader = dict(
    dataset=dict(
        decoder=dict(type='MotionVectorDecode'),
        pipeline=[
            *_base_.train_augment,
            dict(
                type='MotionGuidedMaskGenerator',
                mask_ratio=0.9,
                patch_size=16,
                tubelet_size=2,
                fallback='tube'),
            dict(
                type='PackActionInputs',
                algorithm_keys=('visible_ids', 'masked_ids'))
        ]))
