import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators';
import { DomainError } from '../http/domain.error';
import type { ReadinessProbe } from './readiness.probe';

/** Injection token of the readiness probes `/health/ready` runs. */
export const READINESS_PROBES = Symbol('READINESS_PROBES');

/** Default time limit of one probe: a hung dependency must not hang the orchestrator's probe. */
export const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

/** Not every dependency answered; `checks` holds each dependency's status. */
export class DependenciesUnavailable extends DomainError {
  constructor(down: readonly string[], checks: Record<string, unknown>) {
    super(
      'dependencies-unavailable',
      'unavailable',
      `Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down`,
      {
        extensions: { checks },
      },
    );
  }
}

/**
 * `/health/live` says the process runs (restart it if not); `/health/ready` says its dependencies
 * answer (send it traffic only then). Liveness deliberately checks nothing external, so a database
 * outage does not get every replica restarted.
 */
@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_PROBES) private readonly probes: readonly ReadinessProbe[],
  ) {}

  @Get('live')
  @ApiOkResponse({ description: 'The process is up' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOkResponse({ description: 'Every dependency answers' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down; `checks` names it' })
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.health.check(this.probes.map((probe) => () => this.run(probe)));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as HealthCheckResult;
      const checks = result.details as Record<string, { status: string }>;
      const down = Object.entries(checks)
        .filter(([, check]) => check.status !== 'up')
        .map(([name]) => name);
      throw new DependenciesUnavailable(down, checks);
    }
  }

  private async run(probe: ReadinessProbe): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(probe.name);
    const timeoutMs = probe.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([probe.check(), timeout]);
      return session.up();
    } catch (error) {
      return session.down({ message: describeFailure(error) });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A short reason for the report; connection errors sometimes have an empty message but a code. */
function describeFailure(error: unknown): string {
  // Duck-typed: errors from Node's own modules may come from another realm (e.g. under jest).
  if (typeof error !== 'object' || error === null) return 'check failed';
  const { message, code } = error as { message?: unknown; code?: unknown };
  if (typeof message === 'string' && message !== '') return message;
  return typeof code === 'string' ? code : 'check failed';
}
