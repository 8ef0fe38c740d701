export { deciderSpec, type DeciderLike, type WhenStep } from './given-when-then';
export { createIsolatedDatabase, testPool, uniqueName, type IsolatedDatabase } from './isolation';
export { overriding } from './overriding';
export { watchingWire, watchWire } from './pg-wire';
export { testInfrastructure, type TestInfrastructure } from './infra/test-infrastructure';
export { dockerEngineAnswers } from './infra/docker';
export { startEmbedded } from './infra/postgres';
export {
  defineBenchmark,
  percentiles,
  elapsedMs,
  inParallel,
  type Benchmark,
  type BenchContext,
  type BenchResult,
  type MetricInput,
} from './bench/benchmark';
export { describeCpuPer, startCpuAccount, type CpuAccount } from './bench/machine-cpu';
