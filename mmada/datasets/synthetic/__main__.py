"""``python -m mmada.datasets.synthetic --preset hard --root DIR``: generate, print properties."""
from .generator import main

main()
