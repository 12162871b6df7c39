"""Checkpoint keys of a segmentor wrapped by another model."""


def load_wrapped_segmentor(module, state_dict: dict, prefix: str, *args) -> None:
    """Load the ``segmentor.*`` part of a wrapping model's checkpoint.

    A ``load_state_dict`` pre-hook of :class:`TwoDomainSegmentor`: given the
    checkpoint of a model that holds it as ``segmentor`` (an
    :class:`AdversarialSegmentor`, e.g. MADA's AdaptSegNet warm-up used as
    ``load_from`` of stage 1), its ``segmentor.`` keys become the plain ones
    and the rest (the discriminators) is dropped. A plain checkpoint, or one
    whose ``segmentor.`` keys belong to this model itself (it is the child
    of a wrapper), is left as it is.

    Args:
        module: The segmentor being loaded.
        state_dict: The state being loaded (modified in place).
        prefix: ``module``'s key prefix in ``state_dict``.
        *args: The rest of PyTorch's pre-hook arguments.
    """
    wrapped = prefix + 'segmentor.'
    keys = [k for k in state_dict if k.startswith(prefix)]
    if not any(k.startswith(wrapped) for k in keys) or \
            any(k.startswith(prefix + 'backbone.') for k in keys):
        return
    for key in keys:
        value = state_dict.pop(key)
        if key.startswith(wrapped):
            state_dict[prefix + key[len(wrapped):]] = value
