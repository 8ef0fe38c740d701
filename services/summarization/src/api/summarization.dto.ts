import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';

export class PreviewMessageDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  id!: string;

  @ApiProperty({ enum: ['customer', 'bot', 'agent'] })
  @IsIn(['customer', 'bot', 'agent'])
  sender!: 'customer' | 'bot' | 'agent';

  @ApiProperty({ maxLength: 100_000, description: 'Plain text or an HTML email body.' })
  @IsString()
  @MaxLength(100_000)
  text!: string;

  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  sentAt!: string;
}

export class PreviewRequestDto {
  @ApiProperty({ type: [PreviewMessageDto], maxItems: 5000 })
  @IsArray()
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => PreviewMessageDto)
  messages!: PreviewMessageDto[];

  @ApiPropertyOptional({ maxLength: 50 })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  channel?: string;

  @ApiPropertyOptional({ maxLength: 35, description: 'BCP 47 tag, when the caller knows it.' })
  @IsOptional()
  @Matches(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/)
  language?: string;
}

export class IntentDto {
  @ApiProperty({ maxLength: 100, pattern: '^[\\p{L}\\p{N}_.:-]{1,100}$' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiProperty({ type: [String], minItems: 1, maxItems: 200 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  examples!: string[];

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  suggestedNextStep?: string;
}

export class IntentTaxonomyDto {
  @ApiProperty({ type: [IntentDto], minItems: 1, maxItems: 500 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => IntentDto)
  intents!: IntentDto[];

  @ApiPropertyOptional({ type: [String], maxItems: 2000 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2000)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  products?: string[];
}
