"""What every part of the core shares: errors meant for people, limits on outside input, hashing,
the latest-value slot.
"""
