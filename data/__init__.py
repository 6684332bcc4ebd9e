"""ExoKG's bundled data: the review's tables as records, the entity table, the mappings."""
