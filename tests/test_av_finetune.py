"""Audio-visual fine-tuning pieces of the paper-scale configs: the joint
mixup of every modality, its data preprocessor, multi-label targets from
the annotation list through AudioVisualRecognizer's BCE loss and
mmaction2's mAP, the configs' labels, losses and views, and the
pretrained weights they load."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from conftest import REPO_ROOT
from mmaction.evaluation import AccMetric
from mmaction.structures import ActionDataSample
from mmengine.config import Config

from mmvmae.models import MultiModalMixup
from mmvmae.registry import DATASETS, MODELS

CLASSES = 5
ARCH = dict(embed_dims=32, depth=1, num_heads=2)


def labelled(labels) -> list:
    return [ActionDataSample().set_gt_label(label) for label in labels]


def indexed_inputs(batch=6) -> dict:
    """Video rows equal to their index, audio rows to 10 x their index."""
    index = torch.arange(batch, dtype=torch.float32)
    return dict(imgs=index.reshape(-1, 1, 1, 1, 1, 1).expand(-1, 1, 3, 2, 4,
                                                             4).clone(),
                audios=10 * index.reshape(-1, 1, 1).expand(-1, 8, 8).clone())


def test_mixup_mixes_every_modality_and_label_alike():
    """Sample i has class i and inputs of value i (video) and 10 i (audio):
    a sample mixed at weight lam with partner j holds lam i + (1 - lam) j
    in both modalities, and its label's mean class index is the same."""
    torch.manual_seed(0)
    inputs = indexed_inputs(batch=CLASSES)
    mixed, samples = MultiModalMixup(CLASSES, alpha=1., prob=1.)(
        inputs, labelled(range(CLASSES)))
    video = mixed['imgs'].flatten(1)
    torch.testing.assert_close(video, video[:, :1].expand_as(video))
    torch.testing.assert_close(mixed['audios'].flatten(1),
                               10 * video[:, :1].expand(-1, 64))
    labels = torch.stack([sample.gt_label for sample in samples])
    torch.testing.assert_close(labels.sum(1), torch.ones(CLASSES))
    assert (labels > 0).sum(1).max() <= 2  # itself and one partner
    torch.testing.assert_close(labels @ torch.arange(float(CLASSES)),
                               video[:, 0])
    assert not torch.equal(video[:, 0], torch.arange(float(CLASSES)))


def test_mixup_of_multi_hot_labels_and_probability_zero():
    multi_hot = [torch.tensor([1., 0., 1., 0., 0.]),
                 torch.tensor([0., 1., 0., 0., 1.])]
    inputs = indexed_inputs(batch=2)
    kept, samples = MultiModalMixup(CLASSES, prob=0.)(
        copy.deepcopy(inputs), labelled(multi_hot))
    for name in inputs:
        torch.testing.assert_close(kept[name], inputs[name])
    torch.testing.assert_close(samples[1].gt_label, multi_hot[1])
    torch.manual_seed(1)
    _, samples = MultiModalMixup(CLASSES, alpha=1.)(inputs,
                                                    labelled(multi_hot))
    for sample in samples:  # convex mixes of the two multi-hot vectors
        label = sample.gt_label
        assert label.shape == (CLASSES, ) and label[3] == 0
        assert torch.all((label >= 0) & (label <= 1))
    with pytest.raises(ValueError, match='multi-hot'):
        MultiModalMixup(7)(indexed_inputs(batch=2), labelled(multi_hot))
    with pytest.raises(ValueError, match='alpha'):
        MultiModalMixup(CLASSES, alpha=0.)


def preprocessor(**blending):
    return MODELS.build(
        dict(
            type='MultiModalBlendingPreprocessor',
            preprocessors=dict(
                imgs=dict(type='ActionDataPreprocessor',
                          format_shape='NCTHW'),
                audios=dict(type='ActionDataPreprocessor')),
            blending=dict(type='MultiModalMixup', num_classes=CLASSES,
                          **blending)))


def test_preprocessor_blends_only_in_training():
    pre = preprocessor(alpha=1., prob=1.)
    data = dict(  # as pseudo_collate packs dict inputs
        inputs=dict(
            imgs=[torch.full((1, 3, 2, 4, 4), float(i)) for i in range(4)],
            audios=[torch.full((8, 8), 10. * i) for i in range(4)]),
        data_samples=labelled([0, 1, 2, 3]))
    torch.manual_seed(0)
    out = pre(copy.deepcopy(data), training=True)
    video = out['inputs']['imgs'][:, 0, 0, 0, 0, 0]
    torch.testing.assert_close(out['inputs']['audios'][:, 0, 0], 10 * video)
    assert out['data_samples'][0].gt_label.shape == (CLASSES, )
    out = pre(copy.deepcopy(data), training=False)
    torch.testing.assert_close(out['inputs']['imgs'][:, 0, 0, 0, 0, 0],
                               torch.arange(4.))
    assert out['data_samples'][0].gt_label.shape == (1, )


def test_preprocessor_refuses_a_single_modality_blending():
    with pytest.raises(ValueError, match=r"\['imgs'\].*own blending"):
        MODELS.build(
            dict(
                type='MultiModalBlendingPreprocessor',
                preprocessors=dict(
                    imgs=dict(type='ActionDataPreprocessor',
                              blending=dict(type='MixupBlending',
                                            num_classes=CLASSES)),
                    audios=dict(type='ActionDataPreprocessor'))))


def multi_label_recognizer():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='AudioVisualRecognizer',
            encoders=dict(
                imgs=dict(type='VideoViT', arch=ARCH, img_size=32,
                          num_frames=4, use_mean_pooling=True),
                audios=dict(type='AudioViT', arch=ARCH, target_length=32,
                            n_mels=32, layout='ft', use_mean_pooling=True)),
            cls_head=dict(type='TimeSformerHead', num_classes=CLASSES,
                          in_channels=64, label_smooth_eps=0.1,
                          loss_cls=dict(type='BCELossWithLogits'),
                          average_clips='score')))
    model.init_weights()
    return model


def test_multi_label_targets_reach_the_bce_loss_and_map():
    model = multi_label_recognizer()
    targets = torch.tensor([[1., 0., 1., 0., 0.], [0., 1., 0., 0., 1.],
                            [0., 0., 0., 1., 1.]])
    inputs = dict(imgs=torch.randn(3, 1, 3, 4, 32, 32),
                  audios=torch.randn(3, 32, 32))
    losses = model(inputs, labelled(list(targets)), mode='loss')
    assert set(losses) == {'loss_cls'}  # no top-k on multi-hot targets
    scores = model.cls_head(model(inputs, mode='tensor'))
    smoothed = 0.9 * targets + 0.1 / CLASSES
    torch.testing.assert_close(
        losses['loss_cls'],
        F.binary_cross_entropy_with_logits(scores, smoothed))
    losses['loss_cls'].backward()
    assert model.cls_head.fc_cls.weight.grad.abs().sum() > 0
    with torch.no_grad():
        predicted = model(inputs, labelled(list(targets)), mode='predict')
    torch.testing.assert_close(predicted[0].pred_score, scores[0].detach())
    metric = AccMetric(metric_list=('mean_average_precision', ))
    metric.process({}, [p.to_dict() for p in predicted])
    value = metric.compute_metrics(metric.results)['mean_average_precision']
    metrics = pytest.importorskip('sklearn.metrics')
    expected = metrics.average_precision_score(
        targets.numpy(), scores.detach().numpy(), average='macro')
    assert value == pytest.approx(expected)


def test_multi_label_annotation_list_gives_multi_hot_labels(
        toy_data, tmp_path):
    ann = tmp_path / 'multi_label.txt'
    ann.write_text('train_00000.mp4 0 3\ntrain_00001.mp4 2\n')
    dataset = DATASETS.build(
        dict(type='VideoClipDataset', ann_file=str(ann),
             data_prefix=dict(video=osp.join(toy_data, 'videos')),
             multi_class=True, num_classes=CLASSES,
             sampler=dict(type='SampleFrames', clip_len=1, num_clips=1),
             pipeline=[
                 dict(type='Resize', scale=(32, 32), keep_ratio=False),
                 dict(type='FormatShape', input_format='NCTHW'),
                 dict(type='PackActionInputs')
             ]))
    labels = [dataset[i]['data_samples'].gt_label for i in range(2)]
    torch.testing.assert_close(labels[0], torch.tensor([1., 0, 0, 1, 0]))
    torch.testing.assert_close(labels[1], torch.tensor([0., 0, 1, 0, 0]))


AV_CONFIGS = {
    'cav_mae/cav-mae_vit-base-p16_4xb9-15e_audioset20k-finetune-audiosetpt':
    (527, 'BCELossWithLogits', 1),
    'cav_mae/cav-mae_vit-base-p16_4xb12-10e_vggsound-finetune-audiosetpt':
    (309, 'CrossEntropyLoss', 1),
    'av_mae/av-mae_vit-large-p16_64xb2-50e_audioset500k-finetune-audiosetpt':
    (527, 'BCELossWithLogits', 4),
    'av_mae/av-mae_vit-large-p16_32xb2-50e_vggsound-finetune-audiosetpt':
    (309, 'CrossEntropyLoss', 4),
}


@pytest.mark.parametrize('name', sorted(AV_CONFIGS))
def test_paper_configs_label_loss_and_views(name):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', name + '.py'))
    classes, loss, clips = AV_CONFIGS[name]
    multi_label = loss == 'BCELossWithLogits'
    head = cfg.model.cls_head
    assert (head.num_classes, head.loss_cls.type) == (classes, loss)
    assert head.average_clips == ('score' if multi_label else 'prob')
    assert cfg.data_preprocessor.blending.num_classes == classes
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        assert loader.dataset.get('multi_class', False) == multi_label
    assert cfg.test_dataloader.dataset.sampler.num_clips == clips
    metrics = cfg.test_evaluator.get('metric_list', ('top_k_accuracy', ))
    assert ('mean_average_precision' in metrics) == multi_label


def meta_model(name: str):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', name + '.py'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('init_cfg', None)
    with torch.device('meta'):
        return MODELS.build(model_cfg)


@pytest.mark.parametrize('name, pretrain', [
    (name, name.split('/')[0] + '/' + {
        'cav_mae': 'cav-mae_vit-base-p16_8xb32-25e_audioset-pretrain',
        'av_mae': 'av-mae_vit-large-p16_64xb8-120e_audioset-pretrain'
    }[name.split('/')[0]]) for name in sorted(AV_CONFIGS)
])
def test_fine_tuning_loads_every_pretrained_encoder_and_fusion_weight(
        name, pretrain):
    """Every weight of the encoders, fusion blocks and modality embeddings
    is in the pretraining model, under the same name and shape (the video
    position table is resampled on loading when the frame count
    differs)."""
    tuned = meta_model(name).state_dict()
    pretrained = meta_model(pretrain).state_dict()
    shared = [key for key in tuned if key.split('.')[0] in (
        'encoders', 'fusion', 'modality_embed')]
    assert shared
    missing = [key for key in shared if key not in pretrained]
    assert not missing
    resized = [key for key in shared
               if tuned[key].shape != pretrained[key].shape]
    assert set(resized) <= {'encoders.imgs.pos_embed'}
