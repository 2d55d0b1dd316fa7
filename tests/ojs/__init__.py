"""Harvests of every OJS release the test site imitates, and of the recorded real installs."""
