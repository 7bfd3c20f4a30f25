"""Models of the activity app."""
