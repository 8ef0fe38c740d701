import { Controller, Get, HttpCode, Inject, Param, Post, Query, Res, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { AuditorAllowed, CurrentPrincipal, Roles, type Principal } from '@handoff/platform';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { OwnershipQueries, type ReplayStep } from '../application/ownership.queries';
import { ReplayQueryDto } from './ownership.dto';
import { OwnershipProblemFilter } from './ownership-problem.filter';

const CSV_COLUMNS = [
  'ticketId',
  'revision',
  'globalPosition',
  'occurredAt',
  'type',
  'actorKind',
  'actorId',
  'statusAfter',
  'ownerAfter',
  'from',
  'to',
  'reason',
  'handoffId',
  'hash',
] as const;

const csvCell = (value: unknown): string => {
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : '';
  // Quote always; a leading formula character is neutralised so a spreadsheet never evaluates it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
};

export function csvLine(step: ReplayStep): string {
  const data = step.data as Record<string, unknown>;
  const id = (value: unknown) => (value as { id?: string } | undefined)?.id;
  const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    ticketId: step.ticketId,
    revision: step.revision,
    globalPosition: step.globalPosition,
    occurredAt: step.occurredAt,
    type: step.type,
    actorKind: step.actor.kind,
    actorId: step.actor.id,
    statusAfter: step.stateAfter.status,
    ownerAfter: step.stateAfter.owner?.id,
    from: id(data['from']) ?? id(data['previousOwner']) ?? id(data['finalOwner']),
    to: id(data['to']) ?? id(data['owner']),
    reason: data['reason'] ?? data['cause'] ?? data['how'],
    handoffId: data['handoffId'],
    hash: step.hash,
  };
  return CSV_COLUMNS.map((column) => csvCell(row[column])).join(',') + '\r\n';
}

@ApiTags('audit')
@UseFilters(new OwnershipProblemFilter())
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(OwnershipQueries) private readonly queries: OwnershipQueries) {}

  @Get('tickets/:ticketId/replay')
  @ApiOperation({
    summary: "Replay a ticket's ownership from the event store, with the state after each event",
  })
  replay(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal) {
    return this.queries.replayTicket(who.tenantId, ticketId);
  }

  @Post('tickets/:ticketId/verify')
  @HttpCode(200)
  @Roles('auditor', 'supervisor')
  @AuditorAllowed()
  @ApiOperation({
    summary: "Verify the hash chain of the ticket's ownership stream; reports the first broken revision",
  })
  verify(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal) {
    return this.queries.verify(who.tenantId, ticketId);
  }

  @Get('replay')
  @ApiOperation({
    summary: 'Streamed replay across tickets in a time range: NDJSON (default) or CSV (`format=csv`)',
  })
  @ApiProduces('application/x-ndjson', 'text/csv')
  replayRange(
    @Query() query: ReplayQueryDto,
    @CurrentPrincipal() who: Principal,
    @Res() reply: FastifyReply,
  ): void {
    const steps = this.queries.replayRange(who.tenantId, new Date(query.from), new Date(query.to));
    const csv = query.format === 'csv';
    async function* lines(): AsyncGenerator<string> {
      if (csv) yield CSV_COLUMNS.join(',') + '\r\n';
      for await (const step of steps) yield csv ? csvLine(step) : JSON.stringify(step) + '\n';
    }
    void reply
      .header('content-type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header(
        'content-disposition',
        csv ? 'attachment; filename="ownership-replay.csv"' : 'inline; filename="ownership-replay.ndjson"',
      )
      .send(Readable.from(lines()));
  }
}
