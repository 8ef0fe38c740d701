// REST bodies (class-validator + OpenAPI). DTOs never pass the controller: they are mapped to
// commands there.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const CHANNELS = [
  'web_chat',
  'email',
  'whatsapp',
  'instagram',
  'facebook_messenger',
  'sms',
  'voice',
  'bot',
  'api',
] as const;
export const PRESENCES = ['online', 'away', 'offline'] as const;
export const HANDOFF_TYPES = ['ai_to_human', 'tier_escalation', 'agent_to_agent', 'channel_switch'] as const;

export class SkillDto {
  @ApiProperty({ example: 'billing' }) @IsString() @MinLength(1) @MaxLength(100) name!: string;
  @ApiProperty({ minimum: 1, maximum: 5 }) @IsInt() @Min(1) @Max(5) level!: number;
}

export class CapacityDto {
  @ApiProperty({ enum: CHANNELS }) @IsIn(CHANNELS) channel!: (typeof CHANNELS)[number];
  @ApiProperty({ minimum: 0, maximum: 1000, description: 'Handoffs at once on this channel.' })
  @IsInt()
  @Min(0)
  @Max(1000)
  max!: number;
}

export class AgentProfileDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName?: string;

  @ApiProperty({ type: [SkillDto] })
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => SkillDto)
  skills!: SkillDto[];

  @ApiProperty({ type: [String], example: ['en', 'de'] })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(35, { each: true })
  languages!: string[];

  @ApiProperty({ type: [String], example: ['1'] })
  @IsArray()
  @ArrayMaxSize(10)
  @Matches(KEY_ID, { each: true })
  tiers!: string[];

  @ApiProperty({ type: [String], example: ['billing'] })
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(KEY_ID, { each: true })
  teams!: string[];

  @ApiProperty({ type: [CapacityDto] })
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => CapacityDto)
  capacity!: CapacityDto[];

  @ApiPropertyOptional({ description: 'Supervisors receive handoffs escalated after repeated expiries.' })
  @IsOptional()
  @IsBoolean()
  supervisor?: boolean;
}

export class RegisterAgentDto extends AgentProfileDto {
  @ApiProperty({ example: 'agent-17' }) @Matches(KEY_ID) agentId!: string;
  @ApiPropertyOptional({ enum: PRESENCES, default: 'offline' })
  @IsOptional()
  @IsIn(PRESENCES)
  presence?: (typeof PRESENCES)[number];
}

export class PresenceDto {
  @ApiProperty({ enum: PRESENCES }) @IsIn(PRESENCES) presence!: (typeof PRESENCES)[number];
}

export class PartyDto {
  @ApiProperty({ enum: ['bot', 'agent', 'team', 'system'] }) @IsIn(['bot', 'agent', 'team', 'system']) kind!:
    'bot' | 'agent' | 'team' | 'system';
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) id!: string;
}

export class TargetDto {
  @ApiProperty({ enum: ['agent', 'team', 'tier'] }) @IsIn(['agent', 'team', 'tier']) kind!:
    'agent' | 'team' | 'tier';
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) id!: string;
}

export class SkillRequirementDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(100) skill!: string;
  @ApiProperty({ minimum: 1, maximum: 5 }) @IsInt() @Min(1) @Max(5) minLevel!: number;
}

export class AttachmentDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(500) fileName!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(200) contentType!: string;
  @ApiProperty() @IsInt() @Min(0) sizeBytes!: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) url?: string;
}

export class DiagnosticsDto {
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(20_000, { each: true })
  logs!: string[];
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(2000, { each: true })
  stepsTried!: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) @IsObject() environment!: Record<
    string,
    string
  >;
  @ApiProperty({ type: [AttachmentDto] })
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => AttachmentDto)
  attachments!: AttachmentDto[];
}

export class RequestHandoffDto {
  @ApiPropertyOptional({ description: 'Client-chosen id (idempotency key); generated when absent.' })
  @IsOptional()
  @Matches(KEY_ID)
  handoffId?: string;

  @ApiProperty() @Matches(KEY_ID) ticketId!: string;
  @ApiProperty({ enum: HANDOFF_TYPES }) @IsIn(HANDOFF_TYPES) handoffType!: (typeof HANDOFF_TYPES)[number];
  @ApiProperty({ type: PartyDto }) @ValidateNested() @Type(() => PartyDto) from!: PartyDto;
  @ApiProperty({ type: TargetDto }) @ValidateNested() @Type(() => TargetDto) to!: TargetDto;
  @ApiProperty({ example: 'customer_asked_for_human' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  reasonCode!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(5000) note?: string;
  @ApiPropertyOptional({ enum: ['low', 'normal', 'high', 'urgent'], default: 'normal' })
  @IsOptional()
  @IsIn(['low', 'normal', 'high', 'urgent'])
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  @ApiPropertyOptional({
    description: "The ticket's message sequence the brief must cover; default the last seen.",
  })
  @IsOptional()
  @Matches(/^[0-9]{1,20}$/)
  conversationPosition?: string;
  @ApiPropertyOptional({ enum: CHANNELS }) @IsOptional() @IsIn(CHANNELS) channel?: (typeof CHANNELS)[number];
  @ApiPropertyOptional({ type: [SkillRequirementDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => SkillRequirementDto)
  requiredSkills?: SkillRequirementDto[];
  @ApiPropertyOptional({ example: 'de' })
  @IsOptional()
  @IsString()
  @MinLength(2)
  @MaxLength(35)
  language?: string;
  @ApiPropertyOptional({
    type: DiagnosticsDto,
    description: 'Tier escalations: logs, steps tried, environment, attachments.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => DiagnosticsDto)
  diagnostics?: DiagnosticsDto;
}

export class AcceptDto {
  @ApiProperty({ description: 'The agent answering (must be the one offered).' })
  @Matches(KEY_ID)
  agentId!: string;
}

export class DeclineDto {
  @ApiProperty() @Matches(KEY_ID) agentId!: string;
  // Optional here on purpose: a missing reason is answered 422 by the domain rule, not 400.
  @ApiProperty({ description: 'Required; a missing one is answered 422.' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  reasonCode?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(2000) note?: string;
}

export class CancelDto {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(1000) reason!: string;
}

export class HandBackDto {
  @ApiPropertyOptional({ description: 'The bot taking over; the configured bot identity by default.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  botId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(1000) reason?: string;
}

export class AcceptancePolicyDto {
  @ApiProperty({ minimum: 1, maximum: 86400 }) @IsInt() @Min(1) @Max(86_400) timeoutSeconds!: number;
  @ApiProperty({ minimum: 1, maximum: 100, description: 'Expiries before a supervisor takes over.' })
  @IsInt()
  @Min(1)
  @Max(100)
  maxExpiries!: number;
}

export class OfferStatusQueryDto {
  @ApiPropertyOptional({ enum: ['offered', 'accepted', 'declined', 'expired', 'withdrawn'] })
  @IsOptional()
  @IsIn(['offered', 'accepted', 'declined', 'expired', 'withdrawn'])
  status?: string;
}
