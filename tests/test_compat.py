"""Each shim of mmvmae.compat: the problem exists and the shim fixes it."""
import importlib.util
import io
import pickle
import pickletools

import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmvmae import compat


def test_mmaction_wheel_lacks_drn_and_stub_makes_models_importable():
    # The real package is absent from the 1.2.0 wheel (mmaction2#2714) ...
    spec = importlib.util.find_spec('mmaction.models.localizers')
    assert spec is not None
    import mmaction.models.localizers.drn as drn
    if drn.__path__ == []:  # ... so the stub stands in for it
        with pytest.raises(ImportError, match='2714'):
            drn.drn.DRN()
    import mmaction.models  # noqa: F401  imports fine


def test_vindlu_is_disabled():
    from mmaction.utils import dependency
    assert dependency.WITH_MULTIMODAL is False


def _globals(obj) -> set:
    buffer = io.BytesIO()
    pickle.dump(obj, buffer, protocol=2)
    return {
        arg
        for op, arg, _ in pickletools.genops(buffer.getvalue())
        if op.name in ('GLOBAL', 'STACK_GLOBAL')
    }


def test_history_buffer_pickles_plain_and_loads_weights_only(tmp_path):
    buffer = HistoryBuffer()
    for value in (1.0, 2.5, 4.0):
        buffer.update(value)
    found = _globals(buffer)
    assert not any('numpy' in name or 'getattr' in name for name in found)
    path = tmp_path / 'hub.pth'
    torch.save({'log_scalars': {'loss': buffer}}, path)
    loaded = torch.load(path, weights_only=True)['log_scalars']['loss']
    assert loaded.mean() == pytest.approx(2.5)
    assert loaded.current() == 4.0


def test_unpickled_history_buffer_has_its_statistics(tmp_path, monkeypatch):
    """A resumed run's first message-hub lookup by name must work even when
    no buffer was constructed in the process before loading."""
    buffer = HistoryBuffer()
    buffer.update(3.0)
    path = tmp_path / 'hub.pth'
    torch.save({'loss': buffer}, path)
    monkeypatch.setattr(HistoryBuffer, '_statistics_methods', {})
    loaded = torch.load(path, weights_only=True)['loss']
    assert loaded.statistics('mean') == 3.0
    assert loaded.statistics('current') == 3.0


def test_weights_only_refuses_unlisted_code(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'fn': print}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)


def test_apply_all_is_idempotent():
    compat.apply_all()
    compat.apply_all()
    compat.check_pkg_resources()
