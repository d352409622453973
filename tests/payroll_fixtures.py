"""Fixtures that run the product's API with companies, users and employees."""
