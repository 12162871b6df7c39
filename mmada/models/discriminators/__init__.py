"""Domain discriminators of adversarial alignment."""
from .bank import DiscriminatorBank
from .fc_discriminator import FCDiscriminator, MADADiscriminator

__all__ = ['DiscriminatorBank', 'FCDiscriminator', 'MADADiscriminator']
