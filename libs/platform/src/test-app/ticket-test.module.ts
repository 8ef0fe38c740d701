// A small service used by the platform's own tests: one controller exercising every edge the
// platform handles (auth, roles, tenancy, validation, domain errors). Not part of the public API.
import { Body, Controller, Get, HttpCode, Logger, Module, Param, Post } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { AuditorAllowed, CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { TenantScope } from '../auth/tenant-scope';
import { DomainError, ResourceNotFound, type DomainErrorKind } from '../http/domain.error';

/** The body of POST /tickets/:ticketId/notes. */
export class AddNoteDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  text!: string;

  @ApiProperty({ enum: ['internal', 'customer'], required: false })
  @IsOptional()
  @IsIn(['internal', 'customer'])
  visibility?: 'internal' | 'customer';
}

interface Ticket {
  ticketId: string;
  tenantId: string;
  notes: string[];
}

const KINDS: readonly DomainErrorKind[] = [
  'invalid',
  'forbidden',
  'not-found',
  'conflict',
  'unauthorized',
  'unavailable',
  'unprocessable',
  'too-large',
];

@ApiTags('tickets')
@Controller()
export class TicketTestController {
  private readonly logger = new Logger('TicketTest');
  private readonly tickets = new Map<string, Ticket>([
    ['t-a1', { ticketId: 't-a1', tenantId: 'tenant-a', notes: [] }],
    ['t-b1', { ticketId: 't-b1', tenantId: 'tenant-b', notes: [] }],
  ]);

  @Get('tickets/:ticketId')
  get(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal): Ticket {
    return this.find(ticketId, who);
  }

  @Post('tickets/:ticketId/notes')
  @Roles('agent', 'supervisor')
  addNote(@Param('ticketId') ticketId: string, @Body() dto: AddNoteDto, @CurrentPrincipal() who: Principal) {
    const ticket = this.find(ticketId, who);
    ticket.notes.push(dto.text);
    return { ticketId, notes: ticket.notes.length, by: who.keyId };
  }

  // No @Roles on purpose: the auditor rule must hold even when a route forgets them.
  @Post('tickets/:ticketId/close')
  @HttpCode(204)
  close(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal): void {
    this.find(ticketId, who);
  }

  // Logs while handling the request, after an await: a line of the service's own, not the platform's.
  @Post('tickets/:ticketId/flag')
  @HttpCode(202)
  @Roles('agent', 'supervisor')
  async flag(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal) {
    this.find(ticketId, who);
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.logger.warn(`ticket ${ticketId} flagged for review`);
    return { flagged: true };
  }

  @Post('audit/verify')
  @HttpCode(200)
  @Roles('auditor', 'supervisor')
  @AuditorAllowed()
  verify(@CurrentPrincipal() who: Principal) {
    return { verified: true, tenantId: who.tenantId };
  }

  @Get('errors/:kind')
  fail(@Param('kind') kind: string): never {
    const found = KINDS.find((k) => k === kind);
    if (found)
      throw new DomainError(`test-${found}`, found, `A ${found} failure`, { extensions: { hint: 'test' } });
    throw new Error('database password=hunter2 at /srv/secret.ts:42');
  }

  // A failure after a JSON body was read: the error's log line must still carry the request's ids.
  @Post('tickets/:ticketId/errors/:kind')
  @Roles('agent', 'supervisor')
  failWithBody(@Param('kind') kind: string, @Body() _dto: AddNoteDto): never {
    return this.fail(kind);
  }

  private find(ticketId: string, who: Principal): Ticket {
    return TenantScope.of(who).visible(
      this.tickets.get(ticketId),
      () => new ResourceNotFound('ticket', ticketId),
    );
  }
}

@Module({ controllers: [TicketTestController] })
export class TicketTestModule {}
