// The public API of @handoff/platform, listed explicitly: anything not here is internal.
export { ConfigError, type ConfigIssue } from './config/config.error';
export {
  bool,
  hostPort,
  int,
  list,
  oneOf,
  optional,
  secret,
  Secret,
  str,
  url,
  type ConfigParser,
  type ParseResult,
  type ParserOptions,
} from './config/config.parsers';
export {
  loadConfig,
  type ConfigEnv,
  type ConfigOf,
  type ConfigRule,
  type ConfigSchema,
} from './config/config.schema';
export {
  commonConfigSchema,
  esdbConnectionRule,
  loadServiceConfig,
  LOG_LEVELS,
  type CommonConfig,
} from './config/common-config';

export {
  AccessDenied,
  AuthenticationRequired,
  DomainError,
  HTTP_STATUS_BY_KIND,
  ResourceNotFound,
  type DomainErrorKind,
  type DomainErrorOptions,
} from './http/domain.error';
export {
  DEFAULT_PROBLEM_TYPE_BASE,
  PROBLEM_CONTENT_TYPE,
  problemType,
  type FieldError,
  type ProblemDetails,
} from './http/problem-details';
export { ProblemDetailsFilter, type ProblemDetailsFilterOptions } from './http/problem-details.filter';
export { createValidationPipe, RequestValidationFailed, toFieldErrors } from './http/request-validation';

export {
  createServiceApp,
  MalformedJsonBody,
  type PlatformConfig,
  type ReadinessOptions,
  type ServiceAppOptions,
} from './bootstrap/create-service-app';
export { ShutdownCoordinator, type StopHook, type StopOutcome } from './bootstrap/shutdown.coordinator';
export { PeriodicTask, type PeriodicTaskOptions } from './scheduling/periodic-task';
export { CORRELATION_ID_HEADER, correlationIdOf, REQUEST_ID_HEADER } from './bootstrap/request-context';
export { REDACTED_LOG_PATHS, PlatformLogger } from './bootstrap/request-logging';
export { API_KEY_SECURITY_SCHEME } from './bootstrap/openapi.setup';

export { DependenciesUnavailable, READINESS_PROBES } from './health/health.controller';
export { eventStoreProbe, kafkaProbe, postgresProbe, type ReadinessProbe } from './health/readiness.probe';
export { MetricsService, type HistogramOptions, type MetricOptions } from './metrics/metrics.service';

export { ROLES, isRole, type Principal, type Role } from './auth/principal';
export {
  apiKeys,
  ApiKeyAuthenticator,
  formatApiKeyEntry,
  hashApiKey,
  mintApiKey,
  type ApiKeyEntry,
  type MintedApiKey,
} from './auth/api-key';
export { ApiKeyGuard, presentedApiKey } from './auth/api-key.guard';
export {
  AuditorAllowed,
  CurrentPrincipal,
  Public,
  Roles,
  type AuthenticatedRequest,
} from './auth/auth.decorators';
export { TenantScope } from './auth/tenant-scope';

export { createEventStore, type EventStoreFactoryOptions } from './persistence/event-store.factory';
export {
  openReadModelDataSource,
  poolOf,
  type ReadModelDataSourceOptions,
} from './persistence/read-model.data-source';
