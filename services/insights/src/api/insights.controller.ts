import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  API_KEY_SECURITY_SCHEME,
  AuditorAllowed,
  CurrentPrincipal,
  Roles,
  type Principal,
} from '@handoff/platform';
import { DataSource } from 'typeorm';
import { toFigureQuery } from '../application/figure-query';
import { handoffStory } from '../application/handoff-story.query';
import { InsightsQueries } from '../application/insights-queries';
import { INSIGHTS_CLOCK, INSIGHTS_SETTINGS, type InsightsSettings } from '../insights.tokens';
import { ClosureQueryDto, FigureQueryDto, OwnerChangesQueryDto } from './insights-query.dto';

const PROBLEM = { description: 'problem+json' };

/**
 * The warning signs and the handoff quality as figures, by dimension and time window, for the
 * principal's tenant only. Read-only: agents, supervisors and auditors may read them.
 */
@ApiTags('insights')
@ApiSecurity(API_KEY_SECURITY_SCHEME)
@ApiUnauthorizedResponse(PROBLEM)
@ApiForbiddenResponse(PROBLEM)
@Roles('agent', 'supervisor', 'auditor')
@AuditorAllowed()
@Controller('v1')
export class InsightsController {
  constructor(
    @Inject(InsightsQueries) private readonly queries: InsightsQueries,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(INSIGHTS_SETTINGS) private readonly settings: InsightsSettings,
    @Inject(INSIGHTS_CLOCK) private readonly clock: () => Date,
  ) {}

  @Get('insights/repeats')
  @ApiOperation({ summary: 'Customers repeating information after a handoff (rate, evidence links)' })
  @ApiOkResponse({ description: 'One row per group: handoffs, with a repeat, rate, evidence.' })
  @ApiBadRequestResponse(PROBLEM)
  repeats(@Query() query: FigureQueryDto, @CurrentPrincipal() who: Principal) {
    return this.queries.repeats(toFigureQuery('repeats', who.tenantId, query, this.clock()));
  }

  @Get('insights/owner-changes')
  @ApiOperation({ summary: 'Owner changes per ticket, tickets above a threshold, loops, lapses' })
  @ApiOkResponse({ description: 'One row per group, tickets opened in the window.' })
  @ApiBadRequestResponse(PROBLEM)
  ownerChanges(@Query() query: OwnerChangesQueryDto, @CurrentPrincipal() who: Principal) {
    return this.queries.ownerChanges(
      toFigureQuery('owner-changes', who.tenantId, query, this.clock()),
      query.threshold ?? this.settings.ownerChangeThreshold,
    );
  }

  @Get('insights/resolution-after-transfer')
  @ApiOperation({
    summary: 'Accept → resolution and idle time after transfers, against same-intent tickets without them',
  })
  @ApiOkResponse({ description: 'One row per group, handoffs accepted in the window.' })
  @ApiBadRequestResponse(PROBLEM)
  resolution(@Query() query: FigureQueryDto, @CurrentPrincipal() who: Principal) {
    return this.queries.resolutionAfterTransfer(
      toFigureQuery('resolution-after-transfer', who.tenantId, query, this.clock()),
    );
  }

  @Get('insights/csat')
  @ApiOperation({ summary: 'CSAT of escalated vs not escalated tickets, and across the owner chain' })
  @ApiOkResponse({ description: 'One row per group, responses in the window.' })
  @ApiBadRequestResponse(PROBLEM)
  csat(@Query() query: FigureQueryDto, @CurrentPrincipal() who: Principal) {
    return this.queries.csat(toFigureQuery('csat', who.tenantId, query, this.clock()));
  }

  @Get('insights/closure-without-outcome')
  @ApiOperation({
    summary: 'Closed and reopened within N days, transfers near a shift end, passed on without a reply',
  })
  @ApiOkResponse({ description: 'One row per group: closures and transfers in the window.' })
  @ApiBadRequestResponse(PROBLEM)
  closure(@Query() query: ClosureQueryDto, @CurrentPrincipal() who: Principal) {
    return this.queries.closureWithoutOutcome(
      toFigureQuery('closure-without-outcome', who.tenantId, query, this.clock()),
      query.reopenWithinDays ?? this.settings.reopenWithinDays,
      query.shiftEndMinutes ?? this.settings.shiftEndMinutes,
    );
  }

  @Get('insights/handoff-quality')
  @ApiOperation({
    summary: 'Handoff quality score rolled up per sender, receiver, edge, team, agent, channel',
  })
  @ApiOkResponse({ description: 'One row per group with the average of every component.' })
  @ApiBadRequestResponse(PROBLEM)
  quality(@Query() query: FigureQueryDto, @CurrentPrincipal() who: Principal) {
    return this.queries.handoffQuality(toFigureQuery('handoff-quality', who.tenantId, query, this.clock()));
  }

  @Get('tickets/:ticketId/handoff-story')
  @ApiOperation({ summary: "A ticket's owner chain, handoffs with quality components, repeats, CSAT" })
  @ApiOkResponse({ description: 'The handoff story.' })
  @ApiNotFoundResponse(PROBLEM)
  story(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal) {
    return handoffStory(this.db, who.tenantId, ticketId);
  }
}
