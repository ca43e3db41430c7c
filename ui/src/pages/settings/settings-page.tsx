/**
 * /settings: the namespace's secrets (names; set and delete for operators), and for admins the API
 * keys (create, shown once; list; revoke) and the audit log. `?tab=` picks the section.
 */
import { useSession } from '../../auth/session-context';
import { navigate, useLocation } from '../../router';
import { Tabs } from '../run/tabs';
import '../pages.css';
import { ApiKeysSection } from './api-keys-section';
import { AuditSection } from './audit-section';
import { SecretsSection } from './secrets-section';

type Tab = 'secrets' | 'keys' | 'audit';

export default function SettingsPage() {
  const { search } = useLocation();
  const { can } = useSession();
  const tabs: [Tab, string][] = [
    ['secrets', 'Secrets'],
    ...(can('admin')
      ? ([
          ['keys', 'API keys'],
          ['audit', 'Audit log'],
        ] as [Tab, string][])
      : []),
  ];
  const tab = (tabs.find(([k]) => k === search.get('tab'))?.[0] ?? 'secrets') as Tab;
  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      {!can('admin') && <p className="muted small-text">API keys and the audit log are for admins.</p>}
      <Tabs label="Settings" tabs={tabs} value={tab} onChange={(t) => navigate(`/settings?tab=${t}`, { replace: true })}>
        {tab === 'secrets' && <SecretsSection />}
        {tab === 'keys' && can('admin') && <ApiKeysSection />}
        {tab === 'audit' && can('admin') && <AuditSection />}
      </Tabs>
    </section>
  );
}
