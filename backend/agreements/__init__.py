"""Activation of Min lön and Kivra: the agreement, its scopes and the send gate."""
