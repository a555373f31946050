"""astronomer-dr components: typed settings, one cloud-agnostic platform, per-cloud infrastructure."""
