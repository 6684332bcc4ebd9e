"""ExoKG's ontology (exokg.ttl) and SHACL shapes (shapes.ttl), shipped as package data."""
