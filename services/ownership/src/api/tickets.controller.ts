import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, UseFilters } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@handoff/platform';
import type { FastifyRequest } from 'fastify';
import { OwnershipCommands } from '../application/ownership.commands.service';
import { OwnershipQueries } from '../application/ownership.queries';
import type { ExecuteResult } from '../application/ownership-command.bus';
import { currentOwnerOf } from '../domain/ownership.state';
import {
  AcknowledgeDto,
  AsOfQueryDto,
  AssignOwnerDto,
  ClaimDto,
  ReleaseDto,
  TransferDto,
} from './ownership.dto';
import { OwnershipProblemFilter } from './ownership-problem.filter';
import { callerOf } from './request-caller';

const WRITERS = ['agent', 'supervisor', 'integration'] as const;

const outcome = (ticketId: string, result: ExecuteResult) => ({
  ticketId,
  owner: currentOwnerOf(result.state) ?? null,
  status: result.state.status,
  recorded: result.events.map((event) => event.type),
});

@ApiTags('ownership')
@ApiNotFoundResponse({ description: 'Unknown ticket (or another tenant’s), problem+json.' })
@UseFilters(new OwnershipProblemFilter())
@Controller('v1/tickets/:ticketId')
export class TicketsController {
  constructor(
    @Inject(OwnershipCommands) private readonly commands: OwnershipCommands,
    @Inject(OwnershipQueries) private readonly queries: OwnershipQueries,
  ) {}

  @Get('owner')
  @ApiOperation({
    summary: 'Current owner, or the owner and team at an instant (`?at=`), lapses included',
    description:
      'Before the ticket existed the answer is `state: not_yet_opened`, after now `state: in_future` (200, not an error).',
  })
  @ApiOkResponse({ description: 'The owner now or at the instant.' })
  owner(
    @Param('ticketId') ticketId: string,
    @Query() query: AsOfQueryDto,
    @CurrentPrincipal() who: Principal,
  ) {
    return query.at === undefined
      ? this.queries.currentOwner(who.tenantId, ticketId)
      : this.queries.ownerAsOf(who.tenantId, ticketId, new Date(query.at));
  }

  @Get('history')
  @ApiOperation({
    summary: 'Ownership history from the event store: who → whom, by whom, why, handoff id, when',
  })
  history(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal) {
    return this.queries.history(who.tenantId, ticketId);
  }

  @Get('owner-segments')
  @ApiOperation({ summary: 'Owner segments with the time spent in each, and totals per owner' })
  segments(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal) {
    return this.queries.segments(who.tenantId, ticketId);
  }

  @Post('owner/assign')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Assign a named agent, or a team whose lead rule names the person' })
  @ApiForbiddenResponse({ description: 'Auditors and other read-only keys.' })
  @ApiConflictResponse({
    description: 'The expected owner changed or the ticket is closed; carries currentOwner.',
  })
  @ApiUnprocessableEntityResponse({
    description: 'Already the owner, deactivated agent, or a team without a lead rule.',
  })
  async assign(
    @Param('ticketId') ticketId: string,
    @Body() dto: AssignOwnerDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    const caller = callerOf(who, request);
    const result =
      dto.teamId !== undefined && dto.agentId === undefined
        ? await this.commands.assignToTeam(caller, ticketId, dto.teamId, dto.reason, dto.expectedOwnerId)
        : await this.commands.assignToAgent(
            caller,
            ticketId,
            dto.agentId ?? '',
            dto.reason,
            dto.expectedOwnerId,
          );
    return outcome(ticketId, result);
  }

  @Post('owner/claim')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'An agent claims an unowned (lapsed) ticket' })
  @ApiConflictResponse({ description: 'Someone owns it already; carries currentOwner.' })
  async claim(
    @Param('ticketId') ticketId: string,
    @Body() dto: ClaimDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    return outcome(
      ticketId,
      await this.commands.claim(callerOf(who, request), ticketId, dto.agentId, dto.reason),
    );
  }

  @Post('owner/release')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Release the ticket: it lapses (measured and alerted) until someone owns it' })
  async release(
    @Param('ticketId') ticketId: string,
    @Body() dto: ReleaseDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    return outcome(
      ticketId,
      await this.commands.release(callerOf(who, request), ticketId, dto.reason, dto.expectedOwnerId),
    );
  }

  @Post('owner/transfer')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'Transfer to another named agent' })
  @ApiConflictResponse({ description: 'A concurrent change won; carries currentOwner.' })
  @ApiUnprocessableEntityResponse({
    description: 'Transfer to the current owner, or to a deactivated agent.',
  })
  @ApiNotFoundResponse({ description: 'Unknown ticket or unknown agent.' })
  async transfer(
    @Param('ticketId') ticketId: string,
    @Body() dto: TransferDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    return outcome(
      ticketId,
      await this.commands.transfer(
        callerOf(who, request),
        ticketId,
        dto.toAgentId,
        dto.reason,
        dto.expectedOwnerId,
      ),
    );
  }

  @Post('handovers/:handoverId/acknowledge')
  @HttpCode(200)
  @Roles(...WRITERS)
  @ApiOperation({ summary: 'The receiver acknowledges a shift handover; the ticket moves to them' })
  @ApiConflictResponse({ description: 'The handover is no longer pending (escalated or superseded).' })
  async acknowledge(
    @Param('ticketId') ticketId: string,
    @Param('handoverId') handoverId: string,
    @Body() dto: AcknowledgeDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    return outcome(
      ticketId,
      await this.commands.acknowledge(callerOf(who, request), ticketId, handoverId, dto.agentId),
    );
  }
}
