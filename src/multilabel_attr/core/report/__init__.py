"""What a person reads: `evaluate` and `Report`, streaming evaluation and bootstrap intervals."""
