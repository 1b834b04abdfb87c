"""Readers for traces other programs wrote, into the same model as ours: looplet
0.4 run directories and mini-swe-agent trajectories, each a `Trace` subclass."""
