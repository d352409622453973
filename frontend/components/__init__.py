"""Components shared by the pages, written as plain functions."""
