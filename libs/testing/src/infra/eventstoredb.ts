import { nothingToStop, type Provisioned } from './provisioned';

/**
 * An EventStoreDB/KurrentDB node when one can be had: `ESDB_CONNECTION_STRING` → testcontainers
 * when a Docker engine answers → none (the conformance suite then says it ran on PostgreSQL only).
 */
export async function provisionEventStoreDb(
  env: NodeJS.ProcessEnv,
  docker: boolean,
): Promise<Provisioned | undefined> {
  if (env.ESDB_CONNECTION_STRING) {
    return { url: env.ESDB_CONNECTION_STRING, source: 'ESDB_CONNECTION_STRING', stop: nothingToStop };
  }
  if (!docker) return undefined;
  const { GenericContainer, Wait } = await import('testcontainers');
  const image = 'kurrentplatform/kurrentdb:25.0';
  const container = await new GenericContainer(image)
    .withEnvironment({
      KURRENTDB_CLUSTER_SIZE: '1',
      KURRENTDB_RUN_PROJECTIONS: 'None',
      KURRENTDB_INSECURE: 'true',
      KURRENTDB_ENABLE_ATOM_PUB_OVER_HTTP: 'true',
    })
    .withExposedPorts(2113)
    .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
    .start();
  return {
    url: `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`,
    source: `testcontainers (${image})`,
    stop: async () => {
      await container.stop();
    },
  };
}
