import fs from 'node:fs';
import http from 'node:http';

/**
 * Whether a Docker engine answers (`GET /_ping`), so testcontainers can be used. A `docker` client
 * on PATH proves nothing: only an answering engine counts.
 */
export async function dockerEngineAnswers(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 1500,
): Promise<boolean> {
  const target = dockerTarget(env);
  if (!target) return false;
  return new Promise((resolve) => {
    const request = http.get({ ...target, path: '/_ping', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

function dockerTarget(env: NodeJS.ProcessEnv): http.RequestOptions | undefined {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('tcp://')) {
    const url = new URL(host.replace('tcp://', 'http://'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  const socketPath = host?.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  return fs.existsSync(socketPath) ? { socketPath } : undefined;
}
