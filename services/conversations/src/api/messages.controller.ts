import { Body, Controller, HttpCode, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiHeader,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { correlationIdOf, CurrentPrincipal, Roles, type Principal } from '@handoff/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IngestMessageHandler } from '../application/ingest-message.handler';
import { ConversationsProblemFilter } from './conversations-problem.filter';
import { IngestMessageDto, IngestResultDto } from './conversations.dto';

@ApiTags('messages')
@UseFilters(new ConversationsProblemFilter())
@Controller('v1/messages')
export class MessagesController {
  constructor(@Inject(IngestMessageHandler) private readonly ingestion: IngestMessageHandler) {}

  /** Ingests one channel message: identity → customer, continuity → ticket, idempotent per channel id. */
  @Post()
  @HttpCode(201)
  @Roles('integration', 'bot', 'agent', 'supervisor')
  @ApiCreatedResponse({
    type: IngestResultDto,
    description:
      'Ingested; a re-sent channel message returns the same body with `idempotent-replayed: true`.',
  })
  @ApiHeader({ name: 'x-correlation-id', required: false })
  @ApiBadRequestResponse({ description: 'Unknown channel, missing sender, malformed field (problem+json).' })
  @ApiPayloadTooLargeResponse({ description: 'Text longer than MAX_MESSAGE_CHARS.' })
  @ApiUnprocessableEntityResponse({
    description: 'Invalid email/phone, unknown or foreign ticket reference.',
  })
  @ApiConflictResponse({ description: 'The referenced ticket cannot take the message.' })
  @ApiForbiddenResponse({ description: 'Role not allowed (auditors never write).' })
  async ingest(
    @Body() dto: IngestMessageDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<IngestResultDto> {
    const outcome = await this.ingestion.ingest(
      {
        tenantId: principal.tenantId,
        channel: dto.channel,
        channelMessageId: dto.channelMessageId,
        ...(dto.channelThreadId === undefined ? {} : { channelThreadId: dto.channelThreadId }),
        sender: {
          kind: dto.sender.kind,
          ...(dto.sender.identity
            ? {
                identity: {
                  kind: dto.sender.identity.kind,
                  value: dto.sender.identity.value,
                  ...(dto.sender.identity.channel === undefined
                    ? {}
                    : { channel: dto.sender.identity.channel }),
                  verified: dto.sender.identity.verified ?? false,
                },
              }
            : {}),
          ...(dto.sender.id === undefined ? {} : { id: dto.sender.id }),
          ...(dto.sender.displayName === undefined ? {} : { displayName: dto.sender.displayName }),
        },
        text: dto.text,
        attachments: (dto.attachments ?? []).map((a) => ({
          fileName: a.fileName,
          contentType: a.contentType,
          sizeBytes: a.sizeBytes,
          ...(a.url === undefined ? {} : { url: a.url }),
        })),
        sentAt: dto.sentAt,
        ...(dto.ticketId === undefined ? {} : { ticketId: dto.ticketId }),
      },
      { correlationId: correlationIdOf(request.raw), causationId: request.id },
    );
    if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
    return outcome.result;
  }
}
