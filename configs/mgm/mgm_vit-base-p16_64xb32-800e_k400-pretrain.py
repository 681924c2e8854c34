# MGM ViT-B/16 pretraining on Kinetics-400: VideoMAE's recipe (64 GPUs x 32
# videos, 40 warmup epochs, 800 epochs, 16 frames at stride 4, tube-sized
# mask at 0.9), which MGM builds on, with the mask moved along the codec's
# motion vectors (reference notes section 7; docs/methods/mgm.md). The mask
# ratio and schedule are VideoMAE's: the MGM paper's own values could not
# be checked (no public code, method section not retrieved).
# Fine-tuned by:
#   configs/mgm/mgm_vit-base-p16_64xb6-75e_k400-finetune.py
_base_ = ['../videomae/videomae_vit-base-p16_64xb32-800e_k400-pretrain.py']

# Videos must be H.264 / MPEG-4 Part 2 with P frames (data_preparation's
# resize_videos.py writes libx264). A video without motion vectors gets a
# tube mask, logged with its name and counted, instead of stopping a run.
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
