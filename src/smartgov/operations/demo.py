"""Demo data of the operations centre (filled in below)."""
