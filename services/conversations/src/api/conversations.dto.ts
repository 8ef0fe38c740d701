import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { CHANNEL_KINDS, IDENTITY_KINDS } from '../domain/identity';

const SENDER_KINDS = ['customer', 'bot', 'agent', 'system'] as const;
const RESOLUTIONS = ['resolved', 'unresolved', 'duplicate', 'spam'] as const;
/** Ids that are stream names and Kafka keys (the contracts' KeyId). */
export const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export class IdentityDto {
  @ApiProperty({ enum: IDENTITY_KINDS })
  @IsIn(IDENTITY_KINDS)
  kind!: (typeof IDENTITY_KINDS)[number];

  @ApiProperty({
    maxLength: 320,
    description: 'Email address, E.164 phone number, handle, visitor or CRM id.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  value!: string;

  @ApiPropertyOptional({ enum: CHANNEL_KINDS })
  @IsOptional()
  @IsIn(CHANNEL_KINDS)
  channel?: (typeof CHANNEL_KINDS)[number];

  @ApiPropertyOptional({ description: 'Whether the channel verified it (default false).' })
  @IsOptional()
  @IsBoolean()
  verified?: boolean;
}

export class SenderDto {
  @ApiProperty({ enum: SENDER_KINDS })
  @IsIn(SENDER_KINDS)
  kind!: (typeof SENDER_KINDS)[number];

  @ApiPropertyOptional({ type: IdentityDto, description: 'Required when the sender is the customer.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => IdentityDto)
  identity?: IdentityDto;

  @ApiPropertyOptional({ description: 'Agent, bot or system id (customers are identified by identity).' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  id?: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName?: string;
}

export class AttachmentDto {
  @ApiProperty({ maxLength: 500 }) @IsString() @MinLength(1) @MaxLength(500) fileName!: string;
  @ApiProperty({ maxLength: 200 }) @IsString() @MinLength(1) @MaxLength(200) contentType!: string;
  @ApiProperty({ minimum: 0 }) @IsInt() @Min(0) sizeBytes!: number;
  @ApiPropertyOptional({ maxLength: 2000 }) @IsOptional() @IsString() @MaxLength(2000) url?: string;
}

/** `POST /v1/messages`. */
export class IngestMessageDto {
  @ApiProperty({ enum: CHANNEL_KINDS })
  @IsIn(CHANNEL_KINDS, { message: `channel must be one of ${CHANNEL_KINDS.join(', ')}` })
  channel!: (typeof CHANNEL_KINDS)[number];

  @ApiProperty({ maxLength: 200, description: "The channel's own message id: re-sending it is idempotent." })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  channelMessageId!: string;

  @ApiPropertyOptional({ maxLength: 200, description: "The channel's own thread id." })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  channelThreadId?: string;

  @ApiProperty({ type: SenderDto })
  @IsDefined({ message: 'sender is required' })
  @ValidateNested()
  @Type(() => SenderDto)
  sender!: SenderDto;

  @ApiProperty({ description: 'Message text; longer than MAX_MESSAGE_CHARS → 413.' })
  @IsString()
  text!: string;

  @ApiPropertyOptional({ type: [AttachmentDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => AttachmentDto)
  attachments?: AttachmentDto[];

  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  sentAt!: string;

  @ApiPropertyOptional({ description: 'Explicit ticket reference: the message joins that ticket.' })
  @IsOptional()
  @Matches(KEY_ID, { message: 'ticketId must be a ticket id' })
  ticketId?: string;
}

export class IngestResultDto {
  @ApiProperty() messageId!: string;
  @ApiProperty() ticketId!: string;
  @ApiProperty() customerId!: string;
  @ApiProperty({ description: '1-based position of the message in its ticket.' }) sequence!: number;
  @ApiProperty({
    enum: [
      'ticket-reference',
      'channel-thread',
      'single-open-ticket',
      'most-recent-open-ticket',
      'new-ticket',
    ],
  })
  rule!: string;
}

export class LinkIdentityDto {
  @ApiProperty({ type: IdentityDto })
  @IsDefined()
  @ValidateNested()
  @Type(() => IdentityDto)
  identity!: IdentityDto;

  @ApiProperty({ maxLength: 1000, description: 'Why (kept as provenance).' })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason!: string;
}

export class MergeCustomersDto {
  @ApiProperty({ description: 'The customer absorbed into the one in the path.' })
  @Matches(KEY_ID, { message: 'mergedCustomerId must be a customer id' })
  mergedCustomerId!: string;

  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason!: string;

  @ApiPropertyOptional({
    description: 'Explicitly accept merging different verified identifiers of the same kind (else 409).',
  })
  @IsOptional()
  @IsBoolean()
  acknowledgeVerifiedConflicts?: boolean;
}

export class UnmergeCustomerDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) mergeId!: string;
  @ApiProperty({ maxLength: 1000 }) @IsString() @MinLength(1) @MaxLength(1000) reason!: string;
}

export class CloseTicketDto {
  @ApiProperty({ enum: RESOLUTIONS })
  @IsIn(RESOLUTIONS)
  resolution!: (typeof RESOLUTIONS)[number];

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  note?: string;
}

export class ReopenTicketDto {
  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason?: string;
}

export class MergeTicketsDto {
  @ApiProperty({ description: 'The ticket merged into the one in the path (it closes as merged).' })
  @Matches(KEY_ID, { message: 'mergedTicketId must be a ticket id' })
  mergedTicketId!: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason?: string;
}

export class CsatDto {
  @ApiProperty({ minimum: 1, maximum: 5 }) @IsInt() @Min(1) @Max(5) score!: number;

  @ApiPropertyOptional({ maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(5000)
  comment?: string;

  @ApiPropertyOptional({ description: "The survey tool's response id: re-sending it is idempotent." })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  responseId?: string;

  @ApiPropertyOptional({ enum: CHANNEL_KINDS })
  @IsOptional()
  @IsIn(CHANNEL_KINDS)
  channel?: (typeof CHANNEL_KINDS)[number];

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601({ strict: true })
  respondedAt?: string;
}

export class TimelineQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  cursor?: string;
}
