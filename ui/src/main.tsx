/** The web UI's entry: a sign-in link's key, and a single sign-on callback's code, leave the address bar before anything renders. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { takeKeyFromFragment } from './auth/session';
import { takeCallbackParams } from './auth/sso';
import { App } from './app';
import './styles.css';

takeKeyFromFragment();
takeCallbackParams();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
