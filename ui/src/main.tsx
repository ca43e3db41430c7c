/** The web UI's entry: a sign-in link's key leaves the address bar before anything renders. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { takeKeyFromFragment } from './auth/session';
import { App } from './app';
import './styles.css';

takeKeyFromFragment();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
