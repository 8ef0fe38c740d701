import { Client } from 'pg';

/**
 * Drops every read model of insights (the facts, the derived tables, the processed-message ids and
 * the migration history: the whole `insights` schema). The next start runs the migrations into an
 * empty schema; started with a fresh KAFKA_GROUP_ID, the consumer reads every topic from the
 * beginning (topics keep public events forever) and the deriver recomputes every figure. Run it
 * only while no insights instance is running. See README.md, "Rebuilding the read models".
 */
export async function dropInsightsReadModels(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'insights-rebuild' });
  await client.connect();
  try {
    await client.query('DROP SCHEMA IF EXISTS insights CASCADE');
  } finally {
    await client.end();
  }
}
