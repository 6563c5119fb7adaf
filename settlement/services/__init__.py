"""Settlement services (writes). Import from the submodules."""
