"""好差评: ratings of ended cases, the 差评 rectification loop (整改 → 回访) and rating figures."""
