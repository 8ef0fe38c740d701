import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
  UseFilters,
} from '@nestjs/common';
import { ApiConflictResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@handoff/platform';
import type { FastifyRequest } from 'fastify';
import { AgentDirectory } from '../application/agent-directory';
import { OwnershipCommands } from '../application/ownership.commands.service';
import { OwnershipQueries } from '../application/ownership.queries';
import { AgentNotFound, TeamNotFound } from '../domain/ownership.errors';
import { RangeQueryDto, ShiftHandoverDto, UpsertAgentDto, UpsertTeamDto } from './ownership.dto';
import { OwnershipProblemFilter } from './ownership-problem.filter';
import { callerOf } from './request-caller';

@ApiTags('agents and teams')
@UseFilters(new OwnershipProblemFilter())
@Controller('v1')
export class AgentsController {
  constructor(
    @Inject(OwnershipCommands) private readonly commands: OwnershipCommands,
    @Inject(OwnershipQueries) private readonly queries: OwnershipQueries,
    @Inject(AgentDirectory) private readonly directory: AgentDirectory,
  ) {}

  @Get('lapsed-tickets')
  @ApiOperation({ summary: 'Open tickets with no named owner now (lapses), longest first' })
  lapsed(@CurrentPrincipal() who: Principal) {
    return this.queries.lapsedTickets(who.tenantId);
  }

  @Get('agents/:agentId/tickets')
  @ApiOperation({ summary: 'Tickets (owner segments) an agent owned within [from, to)' })
  tickets(
    @Param('agentId') agentId: string,
    @Query() query: RangeQueryDto,
    @CurrentPrincipal() who: Principal,
  ) {
    return this.queries.ticketsOfAgent(who.tenantId, agentId, new Date(query.from), new Date(query.to));
  }

  @Get('agents/:agentId')
  @ApiOperation({ summary: 'The agent as the ownership directory knows it' })
  async agent(@Param('agentId') agentId: string, @CurrentPrincipal() who: Principal) {
    const agent = await this.directory.agent(who.tenantId, agentId);
    if (!agent) throw new AgentNotFound(agentId);
    return agent;
  }

  @Put('agents/:agentId')
  @Roles('supervisor', 'integration')
  @ApiOperation({
    summary:
      'Register or update an agent (display name, team, active); deactivation lapses their open tickets',
  })
  async upsertAgent(
    @Param('agentId') agentId: string,
    @Body() dto: UpsertAgentDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    const { previouslyActive } = await this.directory.upsertAgent(who.tenantId, {
      agentId,
      ...(dto.displayName === undefined ? {} : { displayName: dto.displayName }),
      ...(dto.teamId === undefined ? {} : { teamId: dto.teamId }),
      active: dto.active,
    });
    const lapsed =
      previouslyActive === true && !dto.active
        ? await this.commands.ownerDeactivated(callerOf(who, request), agentId)
        : [];
    return { agent: await this.directory.agent(who.tenantId, agentId), lapsedTickets: lapsed };
  }

  @Post('agents/:agentId/shift-handover')
  @HttpCode(200)
  @Roles('agent', 'supervisor')
  @ApiOperation({
    summary: 'Hand over every open ticket at shift end, each with a note, to one or more colleagues',
  })
  @ApiUnprocessableEntityResponse({
    description:
      'All or none: a ticket without a note, an invalid receiver, or open tickets left uncovered; ' +
      '`refusedTickets` names every refused ticket and nothing was handed over.',
  })
  @ApiConflictResponse({
    description:
      'Every refused ticket is not owned by the agent (or changed concurrently); nothing was handed over. ' +
      '`shift-handover-interrupted`: a ticket changed between validation and its append (see the README).',
  })
  async shiftHandover(
    @Param('agentId') agentId: string,
    @Body() dto: ShiftHandoverDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    // Plain copies: DTO instances never pass the controller. A missing note is the rules' to refuse.
    const items = dto.handovers.map((item) => ({
      ticketId: item.ticketId,
      toAgentId: item.toAgentId,
      note: item.note && {
        status: item.note.status,
        nextSteps: [...item.note.nextSteps],
        promisesMade: [...item.note.promisesMade],
      },
    }));
    return this.commands.shiftHandover(callerOf(who, request), agentId, items, dto.supervisorId);
  }

  @Put('teams/:teamId')
  @Roles('supervisor', 'integration')
  @ApiOperation({ summary: 'Create or update a team and its lead rule' })
  async upsertTeam(
    @Param('teamId') teamId: string,
    @Body() dto: UpsertTeamDto,
    @CurrentPrincipal() who: Principal,
  ) {
    await this.directory.upsertTeam(who.tenantId, {
      teamId,
      name: dto.name,
      leadRule:
        dto.leadRule === undefined || dto.leadRule === null
          ? null
          : dto.leadRule.type === 'named_lead'
            ? { type: 'named_lead', agentId: dto.leadRule.agentId ?? '' }
            : { type: 'least_loaded_online' },
      supervisorId: dto.supervisorId ?? null,
    });
    return this.team(teamId, who);
  }

  @Get('teams/:teamId')
  @ApiOperation({ summary: 'A team, its lead rule and the person the rule names now' })
  async team(@Param('teamId') teamId: string, @CurrentPrincipal() who: Principal) {
    const team = await this.directory.team(who.tenantId, teamId);
    if (!team) throw new TeamNotFound(teamId);
    const snapshot = await this.directory.teamSnapshot(who.tenantId, teamId);
    return { ...team, currentLead: snapshot?.lead ?? null };
  }
}
