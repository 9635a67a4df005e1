"""The stream processors: a Faust app built by a factory, every topic in one module, one agent per module."""
