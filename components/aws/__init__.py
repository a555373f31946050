"""AWS infrastructure for the platform: a module per concern."""
