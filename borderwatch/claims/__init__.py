"""Claims: articles in, vehicle claims out, and their comparison with the counts."""
