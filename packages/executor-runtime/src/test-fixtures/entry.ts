// Child entry of the multi-process tests: serves the runtime described by WEFT_TEST_RUNTIME (JSON).
import { fileURLToPath } from 'node:url';
import { type ExecutorProcessOptions, runExecutorProcess } from '../index.js';

const options = JSON.parse(process.env.WEFT_TEST_RUNTIME ?? '{}') as ExecutorProcessOptions;
runExecutorProcess({ baseDir: fileURLToPath(new URL('.', import.meta.url)), ...options }).catch(
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
