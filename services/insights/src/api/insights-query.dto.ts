import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { DIMENSIONS } from '../domain/figure-definitions';

/** The query of every figure: a window and an optional dimension. */
export class FigureQueryDto {
  @ApiPropertyOptional({
    description: 'Start of the window (RFC 3339, inclusive); default `to` minus 30 days.',
    example: '2026-03-01T00:00:00Z',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  from?: string;

  @ApiPropertyOptional({ description: 'End of the window (RFC 3339, exclusive); default now.' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  to?: string;

  @ApiPropertyOptional({
    enum: DIMENSIONS,
    description: 'Break the figure down by this dimension (each figure lists the ones it has).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  by?: string;
}

export class OwnerChangesQueryDto extends FigureQueryDto {
  @ApiPropertyOptional({
    description: 'Tickets with more owner changes than this are listed; default from config.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1000)
  threshold?: number;
}

export class ClosureQueryDto extends FigureQueryDto {
  @ApiPropertyOptional({ description: 'N of "closed and reopened within N days"; default from config.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  reopenWithinDays?: number;

  @ApiPropertyOptional({
    description: 'M of "transferred within M minutes of a shift end"; default from config.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1440)
  shiftEndMinutes?: number;
}
