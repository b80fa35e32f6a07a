"""The relayer's sender (``cmir relay``): sends the members' signed requests the API accepted,
with the operator's key, and records what became of them. A sibling of the indexer and the API:
it shares the store and the chain toolkit with them, nothing else."""
