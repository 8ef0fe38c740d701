import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '@handoff/platform';
import type { FastifyRequest } from 'fastify';
import { READ_MODEL_QUERIES } from '../application/conversations.ports';
import { TicketCommandsHandler } from '../application/ticket-commands.handler';
import { TicketNotFound } from '../domain/conversations.errors';
import type { ConversationsReadModel, TicketPage, TicketView } from '../projections/read-model.queries';
import {
  CloseTicketDto,
  CsatDto,
  MergeTicketsDto,
  ReopenTicketDto,
  TimelineQueryDto,
} from './conversations.dto';
import { commandContext, ticketIdParam } from './request-context';

@ApiTags('tickets')
@Controller('v1/tickets')
export class TicketsController {
  constructor(
    @Inject(TicketCommandsHandler) private readonly tickets: TicketCommandsHandler,
    @Inject(READ_MODEL_QUERIES) private readonly readModel: ConversationsReadModel,
  ) {}

  @Get(':ticketId')
  @ApiOkResponse({ description: 'Status, channels, last activity, merges.' })
  @ApiNotFoundResponse({ description: 'Unknown ticket (or another tenant’s).' })
  get(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal): Promise<TicketView> {
    return this.view(who.tenantId, ticketIdParam(ticketId));
  }

  @Get(':ticketId/timeline')
  @ApiOkResponse({
    description:
      'Messages of every channel interleaved with handoff and ownership facts, oldest first; pass nextCursor for the next page.',
  })
  @ApiBadRequestResponse({ description: 'Invalid limit or cursor.' })
  @ApiNotFoundResponse()
  async timeline(
    @Param('ticketId') ticketId: string,
    @Query() query: TimelineQueryDto,
    @CurrentPrincipal() who: Principal,
  ): Promise<TicketPage> {
    const view = await this.view(who.tenantId, ticketIdParam(ticketId));
    return this.readModel.timeline(who.tenantId, view.ticketId, query.limit ?? 100, query.cursor);
  }

  @Post(':ticketId/close')
  @HttpCode(200)
  @Roles('agent', 'supervisor', 'bot', 'integration')
  @ApiOkResponse()
  @ApiConflictResponse({ description: 'Already closed.' })
  @ApiNotFoundResponse()
  @ApiForbiddenResponse()
  async close(
    @Param('ticketId') ticketId: string,
    @Body() dto: CloseTicketDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<TicketView> {
    const id = ticketIdParam(ticketId);
    await this.tickets.close(commandContext(who, request), id, dto.resolution, dto.note);
    return this.view(who.tenantId, id);
  }

  @Post(':ticketId/reopen')
  @HttpCode(200)
  @Roles('agent', 'supervisor', 'bot', 'integration')
  @ApiOkResponse()
  @ApiConflictResponse({ description: 'Not closed, or merged into another ticket.' })
  @ApiNotFoundResponse()
  @ApiForbiddenResponse()
  async reopen(
    @Param('ticketId') ticketId: string,
    @Body() dto: ReopenTicketDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<TicketView> {
    const id = ticketIdParam(ticketId);
    await this.tickets.reopen(commandContext(who, request), id, dto.reason);
    return this.view(who.tenantId, id);
  }

  @Post(':ticketId/merge')
  @HttpCode(200)
  @Roles('agent', 'supervisor')
  @ApiOkResponse({ description: 'Merged: the merged ticket closes as `merged`, both timelines are kept.' })
  @ApiUnprocessableEntityResponse({ description: 'A ticket merged into itself.' })
  @ApiConflictResponse({ description: 'One of the tickets was merged elsewhere.' })
  @ApiNotFoundResponse()
  @ApiForbiddenResponse()
  async merge(
    @Param('ticketId') ticketId: string,
    @Body() dto: MergeTicketsDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ): Promise<TicketView> {
    const id = ticketIdParam(ticketId);
    await this.tickets.merge(commandContext(who, request), id, dto.mergedTicketId, dto.reason);
    return this.view(who.tenantId, id);
  }

  @Post(':ticketId/csat')
  @HttpCode(201)
  @Roles('integration', 'bot', 'agent', 'supervisor')
  @ApiCreatedResponse({ description: 'Recorded with the owner at that time and the handoffs before it.' })
  @ApiNotFoundResponse()
  @ApiForbiddenResponse()
  async csat(
    @Param('ticketId') ticketId: string,
    @Body() dto: CsatDto,
    @CurrentPrincipal() who: Principal,
    @Req() request: FastifyRequest,
  ) {
    const id = ticketIdParam(ticketId);
    const recorded = await this.tickets.recordCsat(commandContext(who, request), id, {
      score: dto.score,
      ...(dto.comment === undefined ? {} : { comment: dto.comment }),
      ...(dto.responseId === undefined ? {} : { responseId: dto.responseId }),
      ...(dto.channel === undefined ? {} : { channel: dto.channel }),
      ...(dto.respondedAt === undefined ? {} : { respondedAt: dto.respondedAt }),
    });
    return { ticketId: id, ...recorded };
  }

  private async view(tenantId: string, ticketId: string): Promise<TicketView> {
    const view = await this.readModel.ticket(tenantId, ticketId);
    if (!view) throw new TicketNotFound(ticketId);
    return view;
  }
}
