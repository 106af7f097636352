"""The gateway's internal gRPC services: the analysis cache the analyzers share."""

from __future__ import annotations

import grpc
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from screener.v1 import gateway_pb2, gateway_pb2_grpc, resume_pb2
from services.gateway.models import AnalysisCacheRow


class AnalysisCacheServicer(gateway_pb2_grpc.AnalysisCacheServiceServicer):
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def GetAnalysis(
        self, request: gateway_pb2.AnalysisCacheKey, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.AnalysisCacheEntry:
        async with self.sessions() as session, session.begin():
            row = await session.get(AnalysisCacheRow, request.key)
            if row is None:
                return gateway_pb2.AnalysisCacheEntry(key=request.key, found=False)
            await session.execute(
                update(AnalysisCacheRow)
                .where(AnalysisCacheRow.key == request.key)
                .values(hits=AnalysisCacheRow.hits + 1)
            )
            return gateway_pb2.AnalysisCacheEntry(
                key=row.key,
                found=True,
                model=row.model,
                analysis=resume_pb2.Analysis.FromString(row.analysis),
            )

    async def PutAnalysis(
        self, request: gateway_pb2.AnalysisCacheEntry, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.PutAnalysisResponse:
        async with self.sessions() as session, session.begin():
            await session.execute(
                insert(AnalysisCacheRow)
                .values(
                    key=request.key,
                    model=request.model,
                    analysis=request.analysis.SerializeToString(),
                    tokens_in=request.analysis.tokens_in,
                    tokens_out=request.analysis.tokens_out,
                    hits=0,
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )
        return gateway_pb2.PutAnalysisResponse()
