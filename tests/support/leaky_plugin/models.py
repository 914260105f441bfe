import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, IdPK


class GossipRow(Base):  # no TenantScoped: the deliberate leak
    __tablename__ = "test_leaky_gossip"

    id: Mapped[IdPK]
    text: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
