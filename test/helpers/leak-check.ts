import { afterAll, expect } from 'vitest';
import { openHandles } from '../../engine/testing.js';

// Every test file must close what it opened: engines (pools), workers, schedulers.
afterAll(() => {
  expect(openHandles(), 'handles left open by this test file').toEqual([]);
});
