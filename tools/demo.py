"""End-to-end demo on CPU: toy data -> VideoMAE pretraining -> fine-tuning
(pretrained and from scratch) -> multi-view test -> reconstruction picture.

Run from the repository root::

    python tools/demo.py            # about 6-8 minutes on 2 CPU cores
    python tools/demo.py --quick    # a short smoke version (about 1 minute)

Each stage is one ``tools/train.py`` / ``tools/test.py`` command, printed
before it runs, so every step can be re-run by hand.
"""
import argparse
import json
import os.path as osp
import re
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join('configs', 'demo')
PRETRAIN = 'videomae_vit-tiny-p8_1xb8-toy_pretrain'
FINETUNE = 'videomae_vit-tiny-p8_1xb8-toy_finetune'
SCRATCH = 'videomae_vit-tiny-p8_1xb8-toy_finetune-scratch'
TOP1 = re.compile(r'Epoch\(test\).*acc/top1: ([0-9.]+)')


def run(command: list) -> str:
    """Run a stage, echoing its output; stop the demo if it fails."""
    print('\n$ ' + ' '.join(command), flush=True)
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if 'mmengine - INFO - Epoch' in line or 'Error' in line:
            print('  ' + line.rstrip(), flush=True)
    if process.wait():
        sys.stdout.write(''.join(lines[-40:]))
        raise SystemExit(f'stage failed ({process.returncode}): '
                         + ' '.join(command))
    return ''.join(lines)


def train(config: str, work_dir: str, options: list) -> None:
    run([sys.executable, 'tools/train.py',
         osp.join(CONFIGS, config + '.py'), '--work-dir', work_dir,
         '--cfg-options', *options])


def test(config: str, checkpoint: str, work_dir: str) -> float:
    """Multi-view test; returns top-1."""
    log = run([sys.executable, 'tools/test.py',
               osp.join(CONFIGS, config + '.py'), checkpoint, '--work-dir',
               work_dir])
    return float(TOP1.findall(log)[-1])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='few epochs, to check the pipeline only')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    args = parser.parse_args(argv)
    pre_epochs, ft_epochs = (2, 2) if args.quick else (20, 15)
    out = args.work_dir
    run([sys.executable, 'data_preparation/toy/generate_toy_dataset.py',
         '--out-dir', 'data/toy'])
    train(PRETRAIN, f'{out}/pretrain', [f'train_cfg.max_epochs={pre_epochs}'])
    pretrained = f'{out}/pretrain/epoch_{pre_epochs}.pth'
    results = {}
    for name, config, extra in (
        ('pretrained', FINETUNE,
         [f'model.backbone.init_cfg.checkpoint={pretrained}']),
        ('scratch', SCRATCH, [])):
        work_dir = f'{out}/finetune_{name}'
        train(config, work_dir, [f'train_cfg.max_epochs={ft_epochs}',
                                 f'train_cfg.val_interval={ft_epochs}',
                                 *extra])
        results[name] = test(config, f'{work_dir}/epoch_{ft_epochs}.pth',
                             f'{work_dir}/test')
    run([sys.executable, 'tools/analysis/visualize_reconstruction.py',
         osp.join(CONFIGS, PRETRAIN + '.py'), pretrained, '--out-dir',
         f'{out}/reconstruction', '--num-samples', '2'])
    summary = dict(
        pretrain_epochs=pre_epochs, finetune_epochs=ft_epochs,
        test_views='5 clips x 3 crops',
        top1_pretrained=results['pretrained'],
        top1_scratch=results['scratch'],
        reconstruction=f'{out}/reconstruction/reconstruction_000.png')
    with open(osp.join(ROOT, out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    print('\n== mmvmae demo: toy motion-direction classification '
          '(4 classes, chance 25%) ==')
    print(f'{"initialization":<26}top-1 (5x3 views)')
    print(f'{"VideoMAE pretrained":<26}{100 * results["pretrained"]:.1f}')
    print(f'{"random init (scratch)":<26}{100 * results["scratch"]:.1f}')
    print(f'reconstruction picture: {summary["reconstruction"]}')
    print(f'summary: {out}/summary.json')
    return summary


if __name__ == '__main__':
    main()
