"""Writes for group buys. Every change of a buy or entry goes through a function here."""
