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

const placeholder = lazy(() => import('./pages/placeholder/placeholder-page'));

export const ROUTES: PageRoute[] = [
  { path: '/runs', title: 'Runs', nav: 'Runs', page: lazy(() => import('./pages/runs/runs-page')) },
  { path: '/runs/:id', title: 'Run', page: lazy(() => import('./pages/run/run-page')) },
  { path: '/workflows', title: 'Workflows', nav: 'Workflows', page: placeholder },
  { path: '/workflows/:name', title: 'Workflow', page: placeholder },
  { path: '/editor', title: 'Editor', nav: 'Editor', page: placeholder },
  { path: '/schedules', title: 'Schedules', nav: 'Schedules', page: placeholder },
  { path: '/dead-letters', title: 'Dead letters', nav: 'Dead letters', page: placeholder },
  { path: '/workers', title: 'Workers', nav: 'Workers', page: placeholder },
  { path: '/settings', title: 'Settings', nav: 'Settings', page: placeholder },
];

/** `/` shows the runs. */
export const HOME = '/runs';
