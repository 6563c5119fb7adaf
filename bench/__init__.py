"""Load and benchmark harnesses (make bench); not part of the test command."""
