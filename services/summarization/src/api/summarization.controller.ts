import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProblemResponses, ApiSecurity, ApiTags } from './openapi';
import {
  API_KEY_SECURITY_SCHEME,
  AuditorAllowed,
  correlationIdOf,
  CurrentPrincipal,
  DomainError,
  Roles,
  type Principal,
} from '@handoff/platform';
import { SummarizationService, type StoredBrief } from '../application/summarization.service';
import { taxonomyProblems, type IntentTaxonomy } from '../domain/intent/intent-taxonomy';
import type { TranscriptMessage } from '../domain/brief/transcript';
import { briefPreparedData } from '../messaging/public-event.mapper';
import { IntentTaxonomyDto, PreviewRequestDto } from './summarization.dto';

class BriefNotFound extends DomainError {
  constructor(ticketId: string, version?: number) {
    super(
      'brief-not-found',
      'not-found',
      version === undefined
        ? `Ticket ${ticketId} has no brief`
        : `Ticket ${ticketId} has no brief version ${version}`,
    );
  }
}

class TicketNotFound extends DomainError {
  constructor(ticketId: string) {
    super('ticket-not-found', 'not-found', `Ticket ${ticketId} was not found`);
  }
}

class InvalidTaxonomy extends DomainError {
  constructor(problems: string[]) {
    super('invalid-taxonomy', 'invalid', `The intent taxonomy is invalid: ${problems.join('; ')}`, {
      extensions: { problems },
    });
  }
}

class InvalidVersion extends DomainError {
  constructor(raw: string) {
    super('invalid-version', 'invalid', `Version "${raw.slice(0, 20)}" is not a positive integer`);
  }
}

class DuplicateMessageIds extends DomainError {
  constructor() {
    super('duplicate-message-ids', 'invalid', 'Every message of a preview needs its own id');
  }
}

const TICKET_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

@ApiTags('briefs')
@ApiSecurity(API_KEY_SECURITY_SCHEME)
@ApiProblemResponses()
@Controller('v1')
export class SummarizationController {
  constructor(@Inject(SummarizationService) private readonly service: SummarizationService) {}

  @Get('tickets/:ticketId/brief')
  @AuditorAllowed()
  @ApiOperation({ summary: 'The latest brief version of a ticket (with how many messages arrived since).' })
  @ApiOkResponse({ description: 'The BriefPrepared v1 data of the latest version.' })
  async latest(@Param('ticketId') ticketId: string, @CurrentPrincipal() who: Principal) {
    const brief = TICKET_ID.test(ticketId)
      ? await this.service.latestBrief(who.tenantId, ticketId)
      : undefined;
    if (!brief) throw new BriefNotFound(ticketId);
    return this.present(brief);
  }

  @Get('tickets/:ticketId/brief/versions/:version')
  @AuditorAllowed()
  @ApiOperation({ summary: 'One brief version of a ticket.' })
  @ApiOkResponse({ description: 'The BriefPrepared v1 data of that version.' })
  async version(
    @Param('ticketId') ticketId: string,
    @Param('version') raw: string,
    @CurrentPrincipal() who: Principal,
  ) {
    if (!/^[1-9][0-9]{0,8}$/.test(raw)) throw new InvalidVersion(raw);
    const version = Number(raw);
    const brief = TICKET_ID.test(ticketId)
      ? await this.service.briefVersion(who.tenantId, ticketId, version)
      : undefined;
    if (!brief) throw new BriefNotFound(ticketId, version);
    return this.present(brief);
  }

  @Post('tickets/:ticketId/brief')
  @HttpCode(201)
  @Roles('agent', 'supervisor', 'bot', 'integration')
  @ApiOperation({ summary: 'Prepares and records a brief of the ticket now (trigger on_demand).' })
  @ApiOkResponse({ description: 'The recorded brief version.' })
  async prepare(
    @Param('ticketId') ticketId: string,
    @CurrentPrincipal() who: Principal,
    @Req() request: { raw: Parameters<typeof correlationIdOf>[0] },
  ) {
    const brief = TICKET_ID.test(ticketId)
      ? await this.service.prepareOnDemand(who.tenantId, ticketId, correlationIdOf(request.raw))
      : undefined;
    if (!brief) throw new TicketNotFound(ticketId);
    return this.present(brief);
  }

  @Post('briefs/preview')
  @HttpCode(200)
  @Roles('agent', 'supervisor', 'bot', 'integration')
  @ApiOperation({ summary: 'A brief of the given transcript; nothing is stored.' })
  @ApiBody({ type: PreviewRequestDto })
  async preview(@Body() dto: PreviewRequestDto, @CurrentPrincipal() who: Principal) {
    if (new Set(dto.messages.map((m) => m.id)).size !== dto.messages.length) throw new DuplicateMessageIds();
    const messages: TranscriptMessage[] = dto.messages.map((m, index) => ({
      id: m.id,
      sequence: index + 1,
      sender: m.sender,
      text: m.text,
      sentAt: new Date(m.sentAt).toISOString(),
      ...(dto.channel !== undefined ? { channel: dto.channel } : {}),
      ...(dto.language !== undefined ? { language: dto.language } : {}),
    }));
    const result = await this.service.preview(who.tenantId, messages);
    const c = result.content;
    return {
      coversPosition: String(c.coversPosition),
      ...(c.coversMessageId !== undefined ? { coversMessageId: c.coversMessageId } : {}),
      language: c.language,
      intent: c.intent,
      keyFacts: c.keyFacts,
      actionsTaken: c.actionsTaken,
      objective: c.objective,
      openQuestions: c.openQuestions,
      sentiment: c.sentiment,
      effort: c.effort,
      ...(c.suggestedNextStep !== undefined ? { suggestedNextStep: c.suggestedNextStep } : {}),
      summary: c.summary,
      notes: c.notes,
      engine: result.engine,
      redacted: result.redacted,
    };
  }

  @Put('intent-taxonomy')
  @Roles('supervisor', 'integration')
  @ApiOperation({ summary: "Replaces the tenant's intent taxonomy (used by stored and previewed briefs)." })
  @ApiBody({ type: IntentTaxonomyDto })
  async putTaxonomy(@Body() dto: IntentTaxonomyDto, @CurrentPrincipal() who: Principal) {
    const taxonomy: IntentTaxonomy = {
      intents: dto.intents.map((i) => ({
        name: i.name,
        examples: [...i.examples],
        ...(i.description !== undefined ? { description: i.description } : {}),
        ...(i.suggestedNextStep !== undefined ? { suggestedNextStep: i.suggestedNextStep } : {}),
      })),
      ...(dto.products !== undefined ? { products: [...dto.products] } : {}),
    };
    const problems = taxonomyProblems(taxonomy);
    if (problems.length > 0) throw new InvalidTaxonomy(problems);
    const saved = await this.service.putTaxonomy(who.tenantId, taxonomy);
    return { ...taxonomy, revision: saved.revision, updatedAt: saved.updatedAt };
  }

  @Get('intent-taxonomy')
  @AuditorAllowed()
  @ApiOperation({ summary: "The tenant's intent taxonomy (the built-in default until one is PUT)." })
  async getTaxonomy(@CurrentPrincipal() who: Principal) {
    const { taxonomy, revision, isDefault } = await this.service.getTaxonomy(who.tenantId);
    return { ...taxonomy, revision, isDefault };
  }

  private async present(brief: StoredBrief) {
    const since = await this.service.messagesSince(
      brief.tenantId,
      brief.ticketId,
      brief.data.content.coversPosition,
    );
    return {
      ...briefPreparedData(brief.tenantId, brief.ticketId, brief.data, since),
      notes: brief.data.content.notes,
    };
  }
}
