import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
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
import { IngestBatcher } from '../application/ingest-batcher';
import { IngestMessageDto, IngestResultDto } from './conversations.dto';

@ApiTags('messages')
@Controller('v1/messages')
export class MessagesController {
  constructor(@Inject(IngestBatcher) private readonly ingestion: IngestBatcher) {}

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
    // Concurrent requests are ingested together; each waits until the read model holds its
    // message (read-your-writes: a tool that posts a message and then reads the ticket sees it).
    const outcome = await this.ingestion.submit({
      input: {
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
      request: { correlationId: correlationIdOf(request.raw), causationId: request.id },
    });
    if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
    return outcome.result;
  }
}
