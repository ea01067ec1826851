"""How many: labels and predictions (dense, sparse or top-k) read once into confusion
counts, the mergeable state that holds them, and every metric as a formula of counts."""
