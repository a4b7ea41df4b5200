import { defineConfig } from 'vitest/config';
import { shared, TIMING_FILES } from './vitest.config.js';

/** The second half of `npm test`: the wall-clock tests, alone on the machine, one file at a time. */
export default defineConfig({
  test: {
    ...shared,
    include: TIMING_FILES,
    fileParallelism: false,
  },
});
