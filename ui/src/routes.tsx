/**
 * Every page of the UI, in one table: its path (the stable links of docs/ui.md; the server answers
 * index.html for exactly these, api/ui.ts UI_PATHS), its title, its entry in the navigation, and
 * the page component, loaded lazily (each page is its own chunk). To add a page: write
 * pages/<name>/<name>-page.tsx exporting a default component that takes `{ params }`, add one row
 * here, and add its path to UI_PATHS in api/ui.ts.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface PageProps {
  params: Record<string, string>;
}

export interface PageRoute {
  path: string;
  title: string;
  /** Label in the header navigation; none for detail pages. */
  nav?: string;
  page: LazyExoticComponent<ComponentType<PageProps>>;
}

export const ROUTES: PageRoute[] = [
  { path: '/runs', title: 'Runs', nav: 'Runs', page: lazy(() => import('./pages/runs/runs-page')) },
  { path: '/runs/:id', title: 'Run', page: lazy(() => import('./pages/run/run-page')) },
  { path: '/workflows', title: 'Workflows', nav: 'Workflows', page: lazy(() => import('./pages/workflows/workflows-page')) },
  { path: '/workflows/:name', title: 'Workflow', page: lazy(() => import('./pages/workflow/workflow-page')) },
  { path: '/editor', title: 'Editor', nav: 'Editor', page: lazy(() => import('./pages/editor/editor-page')) },
  { path: '/schedules', title: 'Schedules', nav: 'Schedules', page: lazy(() => import('./pages/schedules/schedules-page')) },
  { path: '/dead-letters', title: 'Dead letters', nav: 'Dead letters', page: lazy(() => import('./pages/dead-letters/dead-letters-page')) },
  { path: '/workers', title: 'Workers', nav: 'Workers', page: lazy(() => import('./pages/workers/workers-page')) },
  { path: '/settings', title: 'Settings', nav: 'Settings', page: lazy(() => import('./pages/settings/settings-page')) },
];

/** `/` shows the runs. */
export const HOME = '/runs';
