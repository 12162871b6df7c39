from .active_loop import ActiveIterBasedTrainLoop, set_label_store_dir

__all__ = ['ActiveIterBasedTrainLoop', 'set_label_store_dir']
