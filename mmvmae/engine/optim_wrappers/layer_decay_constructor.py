"""Layer-wise learning-rate decay for ViT fine-tuning (VideoMAE recipe)."""
from typing import List

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mmvmae.registry import OPTIM_WRAPPER_CONSTRUCTORS

EMBEDDING_PREFIXES = ('backbone.patch_embed', 'backbone.pos_embed',
                      'backbone.cls_token', 'backbone.mask_token')


def vit_layer_id(name: str, num_layers: int) -> int:
    """Layer id of a parameter: 0 for embeddings, ``i + 1`` for
    ``backbone.blocks.i``, ``num_layers + 1`` for the rest (norms, head)."""
    if name.startswith(EMBEDDING_PREFIXES):
        return 0
    if name.startswith('backbone.blocks.'):
        return int(name.split('.')[2]) + 1
    return num_layers + 1


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Scale the lr of layer ``i`` by ``decay_rate ** (num_layers + 1 - i)``.

    Embeddings are layer 0 and the head layer ``num_layers + 1`` (scale 1),
    as in VideoMAE's fine-tuning. 1-D parameters (norms, biases) and the
    position / class / mask tokens get no weight decay. Frozen parameters
    are left out.

    ``paramwise_cfg`` keys: ``decay_rate`` (default 0.75) and
    ``num_layers`` (default: ``len(model.backbone.blocks)``).
    """

    def add_params(self, params: List[dict], module: nn.Module,
                   **kwargs) -> None:
        """Fill ``params`` with one group per (layer, decay / no decay)."""
        decay_rate = self.paramwise_cfg.get('decay_rate', 0.75)
        num_layers = self.paramwise_cfg.get('num_layers')
        if num_layers is None:
            num_layers = len(module.backbone.blocks)
        groups = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            no_decay = (param.ndim == 1 or name.endswith('.bias')
                        or name.startswith(EMBEDDING_PREFIXES[1:]))
            layer = vit_layer_id(name, num_layers)
            key = (layer, no_decay)
            if key not in groups:
                scale = decay_rate**(num_layers + 1 - layer)
                groups[key] = dict(
                    params=[],
                    lr=self.base_lr * scale,
                    weight_decay=0. if no_decay else self.base_wd,
                    lr_scale=scale)
            groups[key]['params'].append(param)
        params.extend(groups[key] for key in sorted(groups))
        print_log(
            f'layer-wise lr decay {decay_rate} over {num_layers} layers: '
            f'{len(groups)} parameter groups', logger='current')
