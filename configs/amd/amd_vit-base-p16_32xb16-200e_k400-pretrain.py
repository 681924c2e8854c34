# AMD pretraining of a ViT-B/16 student on Kinetics-400, distilled
# from a frozen VideoMAE ViT-L/16 teacher pretrained on K400 for 1600
# epochs (reference notes section 4; AMD's scripts/pretrain): student mask
# 0.9, teacher mask 0.75 from the same tubes, student blocks 6 / 12 aligned
# with teacher blocks 12 / 24, 32 GPUs x 16 videos x 4 clips, base lr
# 1.2e-3, 10 warmup epochs, 200 epochs (= 800 effective), gradient clipping
# at 0.02.
#
# Teacher: the official VideoMAE ViT-L K400 pretraining checkpoint
# (1600 epochs), read as it is, or converted first with
#   python tools/convert/videomae_official_to_mmvmae.py \
#       <official checkpoint>.pth \
#       checkpoints/videomae_vit-large-p16_k400-pretrain-1600e.pth
# It is loaded before the first training step; a missing file stops the
# run there, naming the path.
# Fine-tuned by:
#   configs/amd/amd_vit-base-p16_32xb16-90e_k400-finetune.py
_base_ = [
    '../_base_/models/amd_vit-base-p16.py',
    '../_base_/datasets/k400_pretrain_amd.py',
    '../_base_/schedules/pretrain_adamw_amd_200e.py'
]

teacher_checkpoint = ('checkpoints/'
                      'videomae_vit-large-p16_k400-pretrain-1600e.pth')
model = dict(teacher_checkpoint=teacher_checkpoint)
train_dataloader = dict(batch_size=16)
