"""Task utilities of the temporal detector: points and their targets."""
from .center_sampling_assigner import CenterSamplingAssigner
from .point_generator_1d import PointGenerator1d

__all__ = ['CenterSamplingAssigner', 'PointGenerator1d']
