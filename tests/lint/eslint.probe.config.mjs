// The workspace's ESLint configuration, for source text passed on stdin under a virtual file name
// (tests/lint/layer-rules.int.spec.ts). Type-aware rules need a file on disk, so they are off for
// the probes; the layer rules under test are syntactic.
import tseslint from 'typescript-eslint';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the root config file is not a project
import workspace from '../../eslint.config.mjs';

export default [...workspace, { files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }];
