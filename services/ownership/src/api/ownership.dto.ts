import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export class AssignOwnerDto {
  @ApiPropertyOptional({ description: 'The named agent to own the ticket (or give teamId).' })
  @ValidateIf((dto: AssignOwnerDto) => dto.teamId === undefined)
  @Matches(KEY_ID)
  agentId?: string;

  @ApiPropertyOptional({ description: "A team: accepted only if the team's lead rule names a person." })
  @IsOptional()
  @Matches(KEY_ID)
  teamId?: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason?: string;

  @ApiPropertyOptional({ description: 'Refuse (409) unless this agent owns the ticket now.' })
  @IsOptional()
  @Matches(KEY_ID)
  expectedOwnerId?: string;
}

export class ClaimDto {
  @ApiProperty({ description: 'The agent claiming the unowned ticket.' })
  @Matches(KEY_ID)
  agentId!: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason?: string;
}

export class ReleaseDto {
  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(KEY_ID)
  expectedOwnerId?: string;
}

export class TransferDto {
  @ApiProperty({ description: 'The agent receiving the ticket.' })
  @Matches(KEY_ID)
  toAgentId!: string;

  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @MinLength(1)
  @MaxLength(1000)
  reason!: string;

  @ApiPropertyOptional({
    description: 'The owner the caller saw; without it, a concurrent change is still answered with 409.',
  })
  @IsOptional()
  @Matches(KEY_ID)
  expectedOwnerId?: string;
}

export class HandoverNoteDto {
  @ApiProperty({ maxLength: 5000, description: 'Where the ticket stands.' })
  @IsString()
  @MaxLength(5000)
  status!: string;

  @ApiProperty({ type: [String], description: 'Agreed next steps (at least one).' })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(2000, { each: true })
  nextSteps!: string[];

  @ApiProperty({ type: [String], description: 'Promises made to the customer.' })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @MaxLength(2000, { each: true })
  promisesMade!: string[];
}

export class HandoverItemDto {
  @ApiProperty()
  @Matches(KEY_ID)
  ticketId!: string;

  @ApiProperty()
  @Matches(KEY_ID)
  toAgentId!: string;

  @ApiPropertyOptional({ type: HandoverNoteDto, description: 'Required: a handover without a note is 422.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => HandoverNoteDto)
  note?: HandoverNoteDto;
}

export class ShiftHandoverDto {
  @ApiProperty({ type: [HandoverItemDto], description: 'Every open ticket of the agent, each with a note.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => HandoverItemDto)
  handovers!: HandoverItemDto[];

  @ApiPropertyOptional({ description: "Escalation target; default the agent's team supervisor." })
  @IsOptional()
  @Matches(KEY_ID)
  supervisorId?: string;
}

export class AcknowledgeDto {
  @ApiProperty({ description: 'The receiving agent.' })
  @Matches(KEY_ID)
  agentId!: string;
}

export class UpsertAgentDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  displayName?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(KEY_ID)
  teamId?: string;

  @ApiProperty({ description: 'A deactivated agent cannot own tickets; its open tickets lapse.' })
  @IsBoolean()
  active!: boolean;
}

export class LeadRuleDto {
  @ApiProperty({ enum: ['named_lead', 'least_loaded_online'] })
  @IsIn(['named_lead', 'least_loaded_online'])
  type!: 'named_lead' | 'least_loaded_online';

  @ApiPropertyOptional({ description: 'Required for named_lead.' })
  @ValidateIf((dto: LeadRuleDto) => dto.type === 'named_lead')
  @Matches(KEY_ID)
  agentId?: string;
}

export class UpsertTeamDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({
    type: LeadRuleDto,
    nullable: true,
    description: 'Without one, the team cannot be assigned.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => LeadRuleDto)
  leadRule?: LeadRuleDto | null;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(KEY_ID)
  supervisorId?: string;
}

export class AsOfQueryDto {
  @ApiPropertyOptional({ description: 'An instant (ISO-8601); without it, the current owner.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  at?: string;
}

export class RangeQueryDto {
  @ApiProperty({ description: 'Start (ISO-8601, inclusive).' })
  @IsISO8601({ strict: true })
  from!: string;

  @ApiProperty({ description: 'End (ISO-8601).' })
  @IsISO8601({ strict: true })
  to!: string;
}

export class ReplayQueryDto extends RangeQueryDto {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @IsOptional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}
