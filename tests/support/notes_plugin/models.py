import datetime as dt

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdPK, PropertyScoped


class NoteRow(PropertyScoped, Base):
    __tablename__ = "test_notes"
    __table_args__ = (Index("ix_test_notes_property_created", "property_id", "created_at", "id"),)

    id: Mapped[IdPK]
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime]
