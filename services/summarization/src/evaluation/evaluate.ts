// `npm run eval:summarization`: runs the evaluation on ../shared/data (or HANDOFF_DATA_DIR_SHARED),
// prints the table and writes bench-results/summarization-eval.{md,json}.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasDataset, sharedDataDir } from './datasets';
import { renderResults, runEvaluation } from './evaluation';

function main(): void {
  const dir = sharedDataDir();
  if (!hasDataset(dir, 'tweetsumm-sample')) {
    console.error(`No evaluation data at ${dir}: set HANDOFF_DATA_DIR_SHARED to the shared data folder.`);
    process.exit(1);
  }
  const started = Date.now();
  const results = runEvaluation(dir);
  const table = renderResults(results);
  const out = path.resolve(__dirname, '..', '..', '..', '..', 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'summarization-eval.md'), table);
  writeFileSync(path.join(out, 'summarization-eval.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(table);
  console.log(
    `(${((Date.now() - started) / 1000).toFixed(1)} s; written to ${path.join(out, 'summarization-eval.md')})`,
  );
}

main();
