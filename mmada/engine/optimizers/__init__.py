from .amp import DeviceAmpOptimWrapper, check_amp_device, enable_amp
from .multi_optim_constructor import MultiOptimWrapperConstructor

__all__ = ['MultiOptimWrapperConstructor', 'DeviceAmpOptimWrapper', 'enable_amp',
           'check_amp_device']
