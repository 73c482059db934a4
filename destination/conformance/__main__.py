"""`python -m destination.conformance [FILE…]`: see `runner`."""

from destination.conformance.runner import main

main()
