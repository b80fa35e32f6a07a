"""Lists of columns read off the models, so that each is written once, in the model: the pool's
cumulative figures, and the fields of an event row.

The projector (`cmir.indexer.projections`) writes rows with these lists, the API
(`cmir.api.services`) reads them back with the same ones: a column added to a model reaches both.
"""

from __future__ import annotations

from cmir.store.base import Base
from cmir.store.projections import BucketSnapshot, DaoState, EventRow

#: The key and place of an event row (`EventRow`): chain, block, log index, transaction, time.
EVENT_KEY = tuple(EventRow.__annotations__)


def event_fields(model: type[Base]) -> tuple[str, ...]:
    """The columns of event-row `model` after its key (`EVENT_KEY`), in the model's order."""
    return tuple(column.name for column in model.__table__.columns if column.name not in EVENT_KEY)


#: The pool's cumulative figures (what came in, by bucket, and what left each bucket), in the
#: model's order: the DAO-state columns marked `cmir.store.projections.FIGURE`. Each bucket
#: snapshot copies them from the DAO state after its event; the API's series read them there.
FIGURES = tuple(column.name for column in DaoState.__table__.columns if column.info.get("figure"))

_unrecorded = set(FIGURES) - set(BucketSnapshot.__table__.columns.keys())
if _unrecorded:  # a figure the snapshots would not record: the series would fail on it later
    raise TypeError(f"bucket_snapshots lacks the figures {sorted(_unrecorded)}")
