"""Every config under ``configs/`` loads, builds and follows the conventions.

For each config (``_base_`` folders excluded):

- ``Config.fromfile`` loads it;
- its model builds on the meta device (no memory, no checkpoint loaded) and
  runs a meta forward: the pretraining loss on masks made by the config's
  own train pipeline (or by the model itself, e.g. AdaMAE's sampler), or
  the classification scores of a recognizer;
- its optimizer wrapper and parameter schedulers build, and the schedulers
  chain up to ``max_epochs``;
- the transforms of every dataloader build (``mmvmae.registry.TRANSFORMS``)
  and the train / test pipelines run on a synthetic decoded clip (no video
  files, no dataset), giving clips of the model's size and the expected
  number of test views.

Configs of a method folder follow ``{method}_{backbone}_{gpus}xb{batch}-
{epochs}e_{dataset}.py`` (ARCHITECTURE section 10), the dataset field ending
in ``-pretrain`` or ``-finetune`` (``-finetune-{source}pt`` when the
pretraining data differ, ``-finetune-{source}ft`` when it starts from a
fine-tuned checkpoint). Every pretraining config names its fine-tuning
configs in its header comment, and those load the pretraining run's last
checkpoint, ``work_dirs/<pretrain config>/epoch_<max_epochs>.pth``.
"""
import copy
import functools
import logging
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import mmvmae  # noqa: F401  (shims and registries)
from mmvmae.datasets.transforms.load_score_map import clip_geometry
from mmvmae.models import MaskedVideoText, MultiModalMAE, VideoMAE
from mmvmae.models.encoders.video_vit import resolve_arch
from mmvmae.registry import MODELS, PARAM_SCHEDULERS, TRANSFORMS

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_ROOT = REPO_ROOT / 'configs'
CONFIGS = sorted(
    path for path in CONFIG_ROOT.rglob('*.py') if '_base_' not in path.parts)
CONFIG_IDS = [str(path.relative_to(CONFIG_ROOT)) for path in CONFIGS]
# Folders of hand-named examples, exempt from the naming convention.
UNNAMED_FOLDERS = {'demo'}
NAMED = [path for path in CONFIGS if path.parent.name not in UNNAMED_FOLDERS]

NAME = re.compile(
    r'^(?P<method>[a-z0-9]+(?:-[a-z0-9]+)*)'
    r'_(?P<backbone>[a-z0-9]+(?:-[a-z0-9]+)*)'
    r'_(?P<gpus>\d+)xb(?P<batch>\d+)(?:-(?P<engine>fsdp|zero[1-3]))?'
    r'-(?P<epochs>\d+)e'
    r'_(?P<dataset>[a-z0-9]+)-(?P<stage>pretrain|finetune|detect)'
    r'(?:-(?P<source>[a-z0-9]+)(?P<via>pt|ft))?\.py$')
BACKBONE = re.compile(r'^vit-(?P<arch>[a-z]+)-p(?P<patch>\d+)$')
CHECKPOINT = re.compile(
    r'^work_dirs/(?P<name>[^/]+)/epoch_(?P<epoch>\d+)\.pth$')
# Dataset field -> (classes, test views = clips x crops, or the allowed
# counts).
DATASETS = {
    'k400': (400, 5 * 3),
    'ssv2': (174, 2 * 3),
    'ucf101': (101, 5 * 3),
    'hmdb51': (51, 5 * 3),
    'vggsound': (309, (1, 4)),  # CAV-MAE: the middle frame; AV-MAE: 4 clips
}
REPEAT_COLLATE = 'repeat_pseudo_collate'
# Pretraining models: VideoMAE and methods built on it, multimodal ones.
PRETRAINING = (VideoMAE, MultiModalMAE, MaskedVideoText)
# Fine-tuning models: classifiers, Ego-Only's per-frame segmenter.
FINETUNING = ('Recognizer3D', 'TemporalSegmenter', 'SpatioTemporalDetector',
              'AudioVisualRecognizer')
# Dataset types of the dataloaders (VideoTextClipDataset adds captions,
# TemporalSegmentationDataset samples windows of long videos).
CLIP_DATASETS = ('VideoClipDataset', 'VideoTextClipDataset',
                 'TemporalSegmentationDataset')
# Keyframe datasets (AVA): pipelines run in tests/test_ava_detector.py.
KEYFRAME_DATASETS = ('AVADataset', 'AVAKineticsDataset')
# Pre-extracted feature datasets ('-detect' configs, inputs (B, C, T)):
# pipelines run in tests/test_action_former_configs.py.
FEATURE_DATASETS = ('TemporalActionDataset', )


@pytest.fixture(scope='module', autouse=True)
def scope_and_quiet_logs():
    """mmvmae scope; no per-parameter log lines from the optim builders."""
    init_default_scope('mmvmae')
    logger = MMLogger.get_instance('mmengine')
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


@functools.lru_cache(maxsize=None)
def load(path: Path) -> Config:
    """The config at ``path`` (cached: copy before changing it)."""
    return Config.fromfile(str(path))


def find_config(name: str) -> Path:
    """The config file named ``name`` (``.py`` optional) under configs/."""
    stem = name[:-3] if name.endswith('.py') else name
    matches = [path for path in CONFIGS if path.stem == stem]
    assert len(matches) == 1, f'{len(matches)} configs named {stem}.py'
    return matches[0]


def pretrained_checkpoint(cfg: Config):
    """Checkpoint of the ``Pretrained`` init of the model, its backbone or
    one of its encoders, or None."""
    model = cfg.model
    parts = [model, model.get('backbone') or {},
             *(model.get('encoders') or {}).values()]
    for part in parts:
        init_cfg = part.get('init_cfg')
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            return init_cfg['checkpoint']
    return None


def is_pretraining(cfg: Config) -> bool:
    """Whether the model is a pretraining one (``PRETRAINING``)."""
    return issubclass(MODELS.get(cfg.model.type), PRETRAINING)


def header(path: Path) -> str:
    """The comment block at the top of a config file."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith('#'):
            break
        lines.append(line.lstrip('#').strip())
    return '\n'.join(lines)


def named_configs(path: Path, text: str) -> list:
    """The config files named in ``text`` (paths from the repository root,
    or file names next to ``path``); each must exist."""
    found = []
    for name in re.findall(r'[\w./-]+\.py', text):
        target = REPO_ROOT / name if '/' in name else path.parent / name
        assert target.is_file(), f'{path.name} names missing {name}'
        found.append(target)
    return found


def successors(path: Path) -> list:
    """Fine-tuning configs a pretraining config names in its header (the
    part before an optional 'Detected by')."""
    text = header(path)
    assert 'Fine-tuned by' in text, (
        f'{path.name}: the header comment must name the fine-tuning '
        "config(s) after 'Fine-tuned by'")
    text = text.split('Fine-tuned by')[1].split('Detected by')[0]
    found = named_configs(path, text)
    assert found, f'{path.name} names no fine-tuning config'
    return found


# Models of the detection stages (Ego-Only's segmentation fine-tune is one).
DETECTION_MODELS = ('ActionFormer', 'SpatioTemporalDetector',
                    'TemporalSegmenter')
# Pretraining configs whose encoders feed a detection config.
DETECTION_PRETRAINS = (
    'demo/videomae_vit-tiny-p8_1xb8-toy_pretrain.py',
    'videomae/videomae_vit-base-p16_64xb32-800e_k400-pretrain.py',
    'videomae/videomae_vit-large-p16_64xb8-800e_k400-pretrain.py',
    'videomaev2/videomaev2_vit-giant-p14_64xb32-300e_k400-pretrain.py',
    'ego_only/ego-only_vit-base-p16_64xb32-800e_ego4d-pretrain.py',
)


@pytest.mark.parametrize('name', DETECTION_PRETRAINS)
def test_pretrain_names_its_detection_successors(name):
    path = CONFIG_ROOT / name
    text = header(path)
    assert 'Detected by' in text, (
        f"{name}: the header must name its detection config(s) after "
        "'Detected by'")
    found = named_configs(path, text.split('Detected by')[1])
    assert found, f'{name} names no detection config'
    for target in found:
        assert load(target).model.type in DETECTION_MODELS, target.name


def dataloaders(cfg: Config) -> dict:
    """Every dataloader config, by name (kNN memory loaders included)."""
    loaders = {
        key: cfg[key]
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader')
        if cfg.get(key)
    }
    test_cfg = cfg.get('test_cfg') or {}
    if test_cfg.get('memory_dataloader'):
        loaders['memory_dataloader'] = test_cfg['memory_dataloader']
    return loaders


def backbone_clip(cfg: Config) -> tuple:
    """(frames, size, patch, tubelet) the backbone (or, in a multimodal
    model, the video encoder ``encoders.imgs``; defaults without one) is
    built for."""
    backbone = cfg.model.get('backbone') or cfg.model.encoders.get('imgs', {})
    return (backbone.get('num_frames', 16), backbone.get('img_size', 224),
            backbone.get('patch_size', 16), backbone.get('tubelet_size', 2))


def decoded_clip(sampler_cfg: dict, height: int = 240,
                 width: int = 320) -> dict:
    """What ``init`` + ``sampler`` + ``decoder`` give for a 300-frame video
    (random frames, no file)."""
    sampler = TRANSFORMS.build(copy.deepcopy(sampler_cfg))
    results = sampler(
        dict(total_frames=300, start_index=0, filename='synthetic.mp4',
             label=0, modality='RGB'))
    frame = np.random.default_rng(0).integers(
        0, 256, (height, width, 3), dtype=np.uint8)
    results['imgs'] = [frame.copy() for _ in results['frame_inds']]
    results['original_shape'] = results['img_shape'] = (height, width)
    return results


def synthetic_audio_window(cfg: dict):
    """Stand-in for ``LoadAudioWindow``: silence of the configured rate and
    duration (1 s by default) instead of a file's audio."""
    rate = cfg.get('sample_rate', 16000)
    samples = round((cfg.get('duration') or 1.) * rate)

    def load(results: dict) -> dict:
        return dict(results, audio_waveform=np.zeros((1, samples),
                                                     np.float32),
                    audio_sample_rate=rate, audios_present=True)

    return load


def synthetic_imu_window(cfg: dict):
    """Stand-in for ``LoadIMUWindow``: zero readings of every device of
    the channel spec (1 s at ``sample_rate`` when the length is not fixed)
    instead of a file's."""
    loader = TRANSFORMS.build(copy.deepcopy(cfg))
    samples = loader.num_samples or max(2, round(loader.sample_rate))
    shape = (loader.num_devices, loader.num_channels, samples)

    def load(results: dict) -> dict:
        return dict(results, imu=np.zeros(shape, np.float32),
                    imu_presence=np.ones(shape[0], bool))

    return load


def synthetic_score_map(cfg: dict):
    """Stand-in for ``LoadScoreMap``: a random map per frame of the
    synthetic video, aligned to the clip by the transform itself, instead
    of a file's."""
    loader = TRANSFORMS.build(copy.deepcopy(cfg))

    def load(results: dict) -> dict:
        maps = np.random.default_rng(0).random(
            (len(results['frame_inds']), *results['original_shape']),
            np.float32)
        return dict(results, **{
            loader.key: loader.align(maps, results),
            f'{loader.key}_geometry': clip_geometry(results)})

    return load


# Transforms that read other modalities' files, replaced by synthetic data
# in run_pipeline (the transform itself is still built).
STAND_INS = {'LoadAudioWindow': synthetic_audio_window,
             'LoadIMUWindow': synthetic_imu_window,
             'LoadScoreMap': synthetic_score_map}


def run_pipeline(dataset_cfg: dict, seed: int = 3) -> dict:
    """Build every transform of a dataset config; pack one synthetic clip.

    Seeded, so that the random augmentations (and their run time) are the
    same on every run. The default seed draws cheap RandAugment ops:
    torchvision's Equalize alone takes about a second on a 16-frame clip
    here.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    for stage in ('init', 'sampler', 'decoder'):
        if stage in dataset_cfg:
            TRANSFORMS.build(copy.deepcopy(dataset_cfg[stage]))
    transforms = [
        TRANSFORMS.build(copy.deepcopy(t)) for t in dataset_cfg.pipeline
    ]
    transforms = [
        STAND_INS[cfg['type']](cfg) if cfg['type'] in STAND_INS else t
        for cfg, t in zip(dataset_cfg.pipeline, transforms)
    ]
    results = decoded_clip(dataset_cfg.sampler)
    if dataset_cfg.type == 'VideoTextClipDataset':  # from the annotation
        results.update(text='a synthetic caption', text_present=True)
    for transform in transforms:
        results = transform(results)
    return results


def expected_views(dataset_cfg: dict) -> int:
    """Clips x crops a test pipeline should produce."""
    crops = {'ThreeCrop': 3, 'TenCrop': 10}
    views = dataset_cfg.sampler.get('num_clips', 1)
    for transform in dataset_cfg.pipeline:
        views *= crops.get(transform['type'], 1)
    return views


def train_views(dataset_cfg: dict) -> int:
    """Views a train pipeline packs per sample: those of its
    ``PerViewTransforms`` (ViC-MAE's two views), else 1."""
    for transform in dataset_cfg.pipeline:
        if transform['type'] == 'PerViewTransforms':
            return transform.get('num_views', 2)
    return 1


def build_meta_model(cfg: Config) -> torch.nn.Module:
    """The model on the meta device, without its checkpoint.

    The data preprocessor (the runner merges a top-level one into the
    model) is built on the CPU: mmaction2's MixupBlending creates a
    ``torch.distributions.Beta`` whose argument check calls ``.item()``,
    which meta tensors refuse. It holds no weights.
    """
    model_cfg = copy.deepcopy(cfg.model)
    preprocessor = model_cfg.pop('data_preprocessor',
                                 cfg.get('data_preprocessor'))
    if model_cfg.get('backbone') is not None:
        model_cfg.backbone.init_cfg = None
    if preprocessor is not None:
        model_cfg.data_preprocessor = MODELS.build(preprocessor)
    with torch.device('meta'):
        return MODELS.build(model_cfg)


@pytest.mark.parametrize('path', CONFIGS, ids=CONFIG_IDS)
def test_model_builds_on_meta_and_runs(path):
    cfg = load(path)
    model = build_meta_model(cfg)
    params = list(model.parameters())
    assert params and all(p.is_meta for p in params)
    if cfg.get('train_dataloader', {}).get('dataset', {}).get(
            'type') in FEATURE_DATASETS:
        steps = model.data_preprocessor.max_seq_len
        inputs = torch.empty(2, cfg.model.backbone.in_channels, steps,
                             device='meta')
        logits, _ = model(inputs, mode='tensor')
        assert logits[0].shape == (2, steps, cfg.model.cls_head.num_classes)
        return
    frames, size, _, _ = backbone_clip(cfg)
    if is_pretraining(cfg):
        packed = [
            run_pipeline(cfg.train_dataloader.dataset, seed)
            for seed in (3, 4)
        ]
        samples = [p['data_samples'] for p in packed]
        if isinstance(packed[0]['inputs'], dict):  # multimodal
            inputs = {
                key: torch.empty(2, *value.shape, device='meta')
                for key, value in packed[0]['inputs'].items()
            }
            losses = model(inputs, samples, mode='loss')
        elif packed[0]['inputs'].shape[0] > 1:  # views per sample (ViC-MAE)
            inputs = torch.empty(2, *packed[0]['inputs'].shape, device='meta')
            losses = model(inputs, samples, mode='loss')
            assert 'loss_pix' in losses
        else:
            inputs = torch.empty(2, 3, frames, size, size, device='meta')
            losses = model.loss(inputs, samples)
            assert 'loss_pix' in losses
        assert losses and all(loss.shape == () for loss in losses.values())
    else:
        inputs = torch.empty(2, 1, 3, frames, size, size, device='meta')
        if cfg.model.get('encoders') is not None:  # multimodal recognizer
            packed = run_pipeline(cfg.train_dataloader.dataset)['inputs']
            inputs = {key: torch.empty(2, *value.shape, device='meta')
                      for key, value in packed.items()}
        feats = model(inputs, mode='tensor')
        assert feats.shape[0] == 2
        if cfg.model.get('cls_head') is not None:
            scores = model.cls_head(feats)
            assert scores.shape == (2, cfg.model.cls_head.num_classes)


@pytest.mark.parametrize('path', CONFIGS, ids=CONFIG_IDS)
def test_pipelines_build_and_run(path):
    cfg = load(path)
    frames, size, patch, tubelet = backbone_clip(cfg)
    loaders = dataloaders(cfg)
    assert loaders, f'{path.name} has no dataloader'
    for name, loader in loaders.items():
        dataset = loader.dataset
        if dataset.type in KEYFRAME_DATASETS + FEATURE_DATASETS:
            continue
        assert dataset.type in CLIP_DATASETS, name
        repeats = dataset.get('num_repeats', 1)
        collate = (loader.get('collate_fn') or {}).get('type')
        if repeats > 1:
            assert collate == REPEAT_COLLATE, (
                f'{name}: num_repeats={repeats} needs collate_fn '
                f'{REPEAT_COLLATE}')
            assert not dataset.get('test_mode', False), name
        if name not in ('train_dataloader', 'test_dataloader'):
            for transform in dataset.pipeline:
                TRANSFORMS.build(copy.deepcopy(transform))
            continue
        packed = run_pipeline(dataset)
        views = (train_views(dataset) if name == 'train_dataloader' else
                 expected_views(dataset))
        clip = packed['inputs']
        if isinstance(clip, dict):  # multimodal: the video entry, if any
            clip = clip.get('imgs')
        assert clip is None or clip.shape == (views, 3, frames, size,
                                              size), name
        sample = packed['data_samples']
        if sample.get('visible_ids') is not None:  # per view if several
            num_tokens = (frames // tubelet) * (size // patch)**2
            visible_ids, masked_ids = sample.visible_ids, sample.masked_ids
            for visible, masked in zip(
                    visible_ids.reshape(-1, visible_ids.shape[-1]),
                    masked_ids.reshape(-1, masked_ids.shape[-1])):
                assert len(visible) + len(masked) == num_tokens
                assert not set(visible.tolist()) & set(masked.tolist())
        has_decoder_mask = any(t['type'] == 'RunningCellDecoderMask'
                               for t in dataset.pipeline)
        assert (sample.get('decoder_ids') is not None) == has_decoder_mask


@pytest.mark.parametrize('path', CONFIGS, ids=CONFIG_IDS)
def test_optimizer_and_schedule(path):
    cfg = load(path)
    if cfg.get('optim_wrapper') is None:
        pytest.skip('test-only config')
    model = build_meta_model(cfg)
    wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    grouped = [
        id(p) for group in wrapper.optimizer.param_groups
        for p in group['params']
    ]
    assert len(grouped) == len(set(grouped)), 'a parameter in two groups'
    assert trainable <= set(grouped), 'trainable parameters left out'
    max_epochs = cfg.train_cfg.max_epochs
    schedulers = cfg.get('param_scheduler') or []
    begin = 0
    for scheduler in schedulers:
        scheduler = copy.deepcopy(scheduler)
        assert scheduler.get('by_epoch', True)
        assert scheduler['begin'] == begin, 'schedulers must chain'
        begin = scheduler['end']
        if 'T_max' in scheduler:
            assert scheduler['T_max'] == scheduler['end'] - scheduler[
                'begin']
        convert = scheduler.pop('convert_to_iter_based', False)
        scheduler_cls = PARAM_SCHEDULERS.get(scheduler.pop('type'))
        if convert:
            scheduler_cls.build_iter_from_epoch(
                wrapper, epoch_length=10, **scheduler)
        else:
            scheduler_cls(wrapper, **scheduler)
    if schedulers:
        assert begin == max_epochs, 'the schedule must end at max_epochs'


def check_video_backbone(cfg: Config, name: str) -> None:
    """The video encoder is the ``vit-{arch}-p{patch}`` of the name."""
    backbone = cfg.model.get('backbone') or cfg.model.encoders.imgs
    arch = BACKBONE.match(name)
    assert arch, name
    if isinstance(backbone.arch, str):
        assert backbone.arch == arch['arch']
    else:  # e.g. CAV-MAE: 11 blocks, then the fusion block
        size, named = resolve_arch(backbone.arch), resolve_arch(arch['arch'])
        assert (size['embed_dims'], size['num_heads']) == (
            named['embed_dims'], named['num_heads'])
    assert backbone.get('patch_size', 16) == int(arch['patch'])


@pytest.mark.parametrize(
    'path', NAMED, ids=[str(p.relative_to(CONFIG_ROOT)) for p in NAMED])
def test_name_follows_convention(path):
    match = NAME.match(path.name)
    assert match, (f'{path.name} does not follow {{method}}_{{backbone}}_'
                   '{gpus}xb{batch}-{epochs}e_{dataset}-'
                   '{pretrain|finetune|detect}[-{source}pt|ft].py')
    fields = match.groupdict()
    cfg = load(path)
    assert fields['method'] == path.parent.name.replace('_', '-')
    # A '-detect' config trains on features: its backbone field names them.
    if fields['stage'] != 'detect':
        check_video_backbone(cfg, fields['backbone'])

    gpus, batch = int(fields['gpus']), int(fields['batch'])
    assert cfg.train_dataloader.batch_size == batch
    # The lr is for gpus x batch videos, so --auto-scale-lr rescales it.
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch
    assert cfg.train_cfg.max_epochs == int(fields['epochs'])

    dataset = fields['dataset']
    if fields['stage'] == 'detect':
        assert cfg.train_dataloader.dataset.type in FEATURE_DATASETS
        return
    if fields['stage'] == 'pretrain':
        assert is_pretraining(cfg)
        assert fields['source'] is None
        return
    assert cfg.model.type in FINETUNING
    checkpoint = CHECKPOINT.match(pretrained_checkpoint(cfg) or '')
    assert checkpoint, 'a fine-tuning config loads a pretraining checkpoint'
    source = NAME.match(checkpoint['name'] + '.py')
    # '-{source}ft': from a fine-tuned checkpoint (e.g. K400 labels).
    via = 'finetune' if fields['via'] == 'ft' else 'pretrain'
    assert source and source['stage'] == via
    assert source['dataset'] == (fields['source'] or dataset)
    assert source['backbone'] == fields['backbone']
    if dataset in DATASETS:
        classes, views = DATASETS[dataset]
        assert cfg.num_classes == classes
        assert cfg.model.cls_head.num_classes == classes
        # mmaction2's RandomBatchAugment lists its augments; a blending of
        # dict inputs (MultiModalMixup) is one
        blending = cfg.data_preprocessor.blending
        augments = blending.get('augments', [blending])
        assert {b.num_classes for b in augments} == {classes}
        views = views if isinstance(views, tuple) else (views, )
        assert expected_views(cfg.test_dataloader.dataset) in views
        assert cfg.model.cls_head.average_clips == 'prob'


def safe_load(path: Path):
    """The config, or None if it does not load (the tests above report
    that); keeps a broken config from breaking collection."""
    try:
        return load(path)
    except Exception:  # noqa: BLE001
        return None


PRETRAIN = [
    path for path in CONFIGS
    if safe_load(path) is not None and is_pretraining(load(path))
]


@pytest.mark.parametrize(
    'path', PRETRAIN,
    ids=[str(p.relative_to(CONFIG_ROOT)) for p in PRETRAIN])
def test_pretrain_names_its_finetuning(path):
    if load(path).get('strategy') is not None:
        pytest.skip('engine variant (-fsdp / -zeroN): fine-tuned from its '
                    'checkpoint set by hand, docs/distributed.md')
    last = (f'work_dirs/{path.stem}/epoch_'
            f'{load(path).train_cfg.max_epochs}.pth')
    for successor in successors(path):
        assert pretrained_checkpoint(load(successor)) == last, (
            f'{successor.name} should load {last}')


FINETUNE = [
    path for path in CONFIGS
    if safe_load(path) is not None and pretrained_checkpoint(load(path))
]


@pytest.mark.parametrize(
    'path', FINETUNE,
    ids=[str(p.relative_to(CONFIG_ROOT)) for p in FINETUNE])
def test_checkpoint_is_a_pretraining_run(path):
    checkpoint = pretrained_checkpoint(load(path))
    match = CHECKPOINT.match(checkpoint)
    assert match, f'{checkpoint} is not work_dirs/<config>/epoch_<n>.pth'
    source = find_config(match['name'])
    # A fine-tuned source continues the chain (its own test checks it).
    assert (is_pretraining(load(source))
            or pretrained_checkpoint(load(source)) is not None)
    assert int(match['epoch']) == load(source).train_cfg.max_epochs, (
        f'{checkpoint} is not the last epoch of {source.name}')


METHOD_FOLDERS = sorted({path.parent for path in NAMED})


@pytest.mark.parametrize(
    'folder', METHOD_FOLDERS,
    ids=[str(f.relative_to(CONFIG_ROOT)) for f in METHOD_FOLDERS])
def test_readme_lists_every_config(folder):
    readme = folder / 'README.md'
    assert readme.is_file(), f'{folder.name} has no README.md'
    text = readme.read_text()
    missing = [p.name for p in folder.glob('*.py') if p.stem not in text]
    assert not missing, f'{readme} does not list {missing}'
