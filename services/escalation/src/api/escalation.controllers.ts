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
  UnprocessableEntityException,
} from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { correlationIdOf, CurrentPrincipal, Roles, type Principal } from '@handoff/platform';
import type { FastifyRequest } from 'fastify';
import { AgentCommands } from '../application/agent.commands';
import { HandoffCommands, type HandoffDetail } from '../application/handoff.commands';
import { CLOCK, type Clock, type CommandContext } from '../application/ports';
import type { AgentProfile } from '../domain/agent.decider';
import { AgentNotFound } from '../domain/handoff.errors';
import { EscalationQueries } from '../projections/escalation.queries';
import {
  AcceptancePolicyDto,
  AcceptDto,
  AgentProfileDto,
  CancelDto,
  DeclineDto,
  HandBackDto,
  HANDOFF_TYPES,
  OfferStatusQueryDto,
  PresenceDto,
  RegisterAgentDto,
  RequestHandoffDto,
} from './escalation.dto';

export const BOT_ID = Symbol('BOT_ID');

/** The actor recorded for a REST call: the caller's strongest role, identified by its key id. */
function contextOf(who: Principal, request: FastifyRequest, actor?: CommandContext['actor']): CommandContext {
  const kind =
    (['supervisor', 'agent', 'bot', 'integration'] as const).find((r) => who.roles.includes(r)) ??
    'integration';
  return {
    tenantId: who.tenantId,
    correlationId: correlationIdOf(request.raw),
    actor: actor ?? { kind, id: who.keyId },
  };
}

function profileOf(dto: AgentProfileDto): AgentProfile {
  return {
    ...(dto.displayName === undefined ? {} : { displayName: dto.displayName }),
    skills: Object.fromEntries(dto.skills.map((s) => [s.name, s.level])),
    languages: dto.languages,
    tiers: dto.tiers,
    teams: dto.teams,
    capacity: Object.fromEntries(dto.capacity.map((c) => [c.channel, c.max])),
    supervisor: dto.supervisor ?? false,
  };
}

@ApiTags('handoffs')
@Controller('v1/handoffs')
export class HandoffsController {
  constructor(
    @Inject(HandoffCommands) private readonly handoffs: HandoffCommands,
    @Inject(BOT_ID) private readonly botId: string,
  ) {}

  @Post()
  @Roles('bot', 'agent', 'supervisor', 'integration')
  @ApiOperation({ summary: 'Request a handoff (AI→human, tier escalation, agent→agent).' })
  @ApiCreatedResponse({ description: 'The handoff with its lifecycle so far.' })
  @ApiResponse({ status: 404, description: 'Unknown ticket (or another tenant’s).' })
  @ApiResponse({ status: 409, description: 'Closed ticket, or the handoff id is taken.' })
  async request(
    @Body() dto: RequestHandoffDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<HandoffDetail> {
    const ctx = contextOf(who, request);
    const { handoffId, detail } = await this.handoffs.request(
      {
        ...(dto.handoffId === undefined ? {} : { handoffId: dto.handoffId }),
        ticketId: dto.ticketId,
        handoffType: dto.handoffType,
        from: { kind: dto.from.kind, id: dto.from.id },
        to: { kind: dto.to.kind, id: dto.to.id },
        reasonCode: dto.reasonCode,
        ...(dto.note === undefined ? {} : { note: dto.note }),
        priority: dto.priority ?? 'normal',
        requestedBy: ctx.actor,
        ...(dto.conversationPosition === undefined ? {} : { conversationPosition: dto.conversationPosition }),
        ...(dto.channel === undefined ? {} : { channel: dto.channel }),
        ...(dto.diagnostics === undefined
          ? {}
          : {
              diagnostics: {
                logs: dto.diagnostics.logs,
                stepsTried: dto.diagnostics.stepsTried,
                environment: Object.fromEntries(
                  Object.entries(dto.diagnostics.environment).map(([k, v]) => [k, String(v)]),
                ),
                attachments: dto.diagnostics.attachments.map((a) => ({
                  fileName: a.fileName,
                  contentType: a.contentType,
                  sizeBytes: a.sizeBytes,
                  ...(a.url === undefined ? {} : { url: a.url }),
                })),
              },
            }),
        requiredSkills: (dto.requiredSkills ?? []).map((s) => ({ skill: s.skill, minLevel: s.minLevel })),
        ...(dto.language === undefined ? {} : { language: dto.language }),
      },
      ctx,
    );
    // A new handoff's detail is built from the events just appended; a repeated request reads it.
    return detail ?? this.handoffs.detail(handoffId, who.tenantId);
  }

  @Get(':handoffId')
  @ApiOperation({ summary: 'A handoff with its full lifecycle (every event) and offers.' })
  @ApiOkResponse({ description: 'The handoff.' })
  detail(@Param('handoffId') handoffId: string, @CurrentPrincipal() who: Principal): Promise<HandoffDetail> {
    return this.handoffs.detail(handoffId, who.tenantId);
  }

  @Post(':handoffId/accept')
  @HttpCode(200)
  @Roles('agent', 'supervisor')
  @ApiOperation({ summary: 'Accept the offer (idempotent for the same agent).' })
  @ApiResponse({ status: 403, description: 'The handoff is offered to someone else.' })
  @ApiResponse({
    status: 409,
    description: 'The offer expired or was answered; the body carries the current state.',
  })
  accept(
    @Param('handoffId') handoffId: string,
    @Body() dto: AcceptDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<HandoffDetail> {
    return this.handoffs.accept(
      handoffId,
      dto.agentId,
      contextOf(who, request, { kind: 'agent', id: dto.agentId }),
    );
  }

  @Post(':handoffId/decline')
  @HttpCode(200)
  @Roles('agent', 'supervisor')
  @ApiOperation({ summary: 'Decline the offer with a reason; routing offers it to the next candidate.' })
  @ApiResponse({ status: 403, description: 'The handoff is offered to someone else.' })
  @ApiResponse({ status: 422, description: 'No reason code given.' })
  async decline(
    @Param('handoffId') handoffId: string,
    @Body() dto: DeclineDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<HandoffDetail> {
    return this.handoffs.decline(
      handoffId,
      {
        agentId: dto.agentId,
        reasonCode: dto.reasonCode,
        ...(dto.note === undefined ? {} : { note: dto.note }),
      },
      contextOf(who, request, { kind: 'agent', id: dto.agentId }),
    );
  }

  @Post(':handoffId/cancel')
  @HttpCode(200)
  @Roles('bot', 'agent', 'supervisor', 'integration')
  @ApiOperation({ summary: 'Cancel a handoff that is not accepted yet.' })
  cancel(
    @Param('handoffId') handoffId: string,
    @Body() dto: CancelDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<HandoffDetail> {
    return this.handoffs.cancel(handoffId, dto.reason, contextOf(who, request));
  }

  @Post(':handoffId/hand-back')
  @HttpCode(200)
  @Roles('agent', 'supervisor', 'bot')
  @ApiOperation({ summary: 'Hand the conversation back to the bot.' })
  handBack(
    @Param('handoffId') handoffId: string,
    @Body() dto: HandBackDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<HandoffDetail> {
    return this.handoffs.handBack(
      handoffId,
      { botId: dto.botId ?? this.botId, ...(dto.reason === undefined ? {} : { reason: dto.reason }) },
      contextOf(who, request),
    );
  }
}

@ApiTags('agents')
@Controller('v1/agents')
export class AgentsController {
  constructor(
    @Inject(AgentCommands) private readonly agents: AgentCommands,
    @Inject(EscalationQueries) private readonly queries: EscalationQueries,
  ) {}

  @Post()
  @Roles('supervisor', 'integration')
  @ApiOperation({ summary: 'Register an agent (skills, languages, tiers, teams, capacity per channel).' })
  @ApiResponse({ status: 409, description: 'The agent exists with another profile.' })
  async register(
    @Body() dto: RegisterAgentDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    await this.agents.register(dto.agentId, profileOf(dto), dto.presence, contextOf(who, request));
    return this.one(dto.agentId, who);
  }

  @Get()
  @ApiOperation({ summary: 'Agents with presence, load and decline/expiry counts.' })
  list(@CurrentPrincipal() who: Principal) {
    return this.queries.agents(who.tenantId);
  }

  @Get(':agentId')
  @ApiOperation({ summary: 'One agent.' })
  @ApiResponse({ status: 404, description: 'Unknown agent.' })
  async one(@Param('agentId') agentId: string, @CurrentPrincipal() who: Principal) {
    const [agent] = await this.queries.agents(who.tenantId, agentId);
    if (agent === undefined) throw new AgentNotFound(agentId);
    return agent;
  }

  @Put(':agentId')
  @Roles('supervisor', 'integration')
  @ApiOperation({ summary: "Update an agent's skills, languages, tiers, teams and capacity." })
  async update(
    @Param('agentId') agentId: string,
    @Body() dto: AgentProfileDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    await this.agents.updateProfile(agentId, profileOf(dto), contextOf(who, request));
    return this.one(agentId, who);
  }

  @Put(':agentId/presence')
  @Roles('agent', 'supervisor', 'integration')
  @ApiOperation({ summary: 'Set presence (online / away / offline); published as AgentPresenceChanged.' })
  async presence(
    @Param('agentId') agentId: string,
    @Body() dto: PresenceDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    await this.agents.changePresence(agentId, dto.presence, contextOf(who, request));
    return this.one(agentId, who);
  }

  @Get(':agentId/offers')
  @ApiOperation({ summary: 'Offers made to an agent (newest first), each with its brief reference.' })
  offers(
    @Param('agentId') agentId: string,
    @Query() query: OfferStatusQueryDto,
    @CurrentPrincipal() who: Principal,
  ) {
    return this.queries.offersForAgent(who.tenantId, agentId, query.status);
  }
}

@ApiTags('queues')
@Controller('v1')
export class QueuesController {
  constructor(
    @Inject(EscalationQueries) private readonly queries: EscalationQueries,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('queues')
  @ApiOperation({
    summary: 'Open handoffs per target (team, tier, agent): waiting, waiting for an agent, offered.',
  })
  queues(@CurrentPrincipal() who: Principal) {
    return this.queries.queues(who.tenantId);
  }

  @Get('queues/:kind/:id')
  @ApiOperation({ summary: 'The open handoffs of one target, oldest first.' })
  queue(@Param('kind') kind: string, @Param('id') id: string, @CurrentPrincipal() who: Principal) {
    return this.queries.openHandoffs(who.tenantId, { kind, id });
  }

  @Put('acceptance-policies/:teamId/:handoffType')
  @Roles('supervisor')
  @ApiOperation({
    summary: "Acceptance deadline and expiries before escalation for a team and handoff type ('*' = any).",
  })
  async setPolicy(
    @Param('teamId') teamId: string,
    @Param('handoffType') handoffType: string,
    @Body() dto: AcceptancePolicyDto,
    @CurrentPrincipal() who: Principal,
  ) {
    if (handoffType !== '*' && !(HANDOFF_TYPES as readonly string[]).includes(handoffType)) {
      throw new UnprocessableEntityException(`handoffType must be one of ${HANDOFF_TYPES.join(', ')} or *`);
    }
    await this.queries.setAcceptancePolicy(who.tenantId, teamId, handoffType, dto, this.clock.now());
    return this.queries.acceptancePolicy(who.tenantId, teamId === '*' ? undefined : teamId, handoffType);
  }
}
