"""Cross-border rules: law as versioned, cited rule packs, and the engine that applies them."""
