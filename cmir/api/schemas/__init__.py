"""Response schemas (Pydantic), separate from the indexer's ORM models."""
