"""Test helpers shared by every app's tests: factories, fake AWS, canaries, processes."""
