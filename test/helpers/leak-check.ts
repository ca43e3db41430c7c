import { afterAll, expect } from 'vitest';
import { openHandles } from '../../engine/telemetry/lifetimes.js';

// Every test file must close what it opened: engines (pools), workers, schedulers.
afterAll(() => {
  expect(openHandles(), 'handles left open by this test file').toEqual([]);
});
