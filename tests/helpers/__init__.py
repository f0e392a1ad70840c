"""Scripts the reliability tests run in child processes."""
