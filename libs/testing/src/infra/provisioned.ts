import path from 'node:path';

/** One piece of provisioned infrastructure; `stop` undoes only what the harness started. */
export interface Provisioned {
  url: string;
  source: string;
  version?: string;
  stop: () => Promise<void>;
}

/** For infrastructure the harness found running: nothing of it is stopped. */
export const nothingToStop = (): Promise<void> => Promise.resolve();

export const workspaceRoot = path.resolve(__dirname, '..', '..', '..', '..');
