/**
 * API keys (admin): create one (its key is shown once, here, to copy), list them (never the key),
 * revoke. An admin limited to some namespaces manages keys within those only (the server checks).
 */
import { useState, type FormEvent } from 'react';
import { formatTime } from '../../components/format';
import { errorMessage } from '../../components/states';
import { PageState } from '../../components/list-page';
import { useAsync } from '../../components/use-async';
import type { ApiKey, CreatedApiKey } from '../../data/client-types';
import { api, get, post } from '../../data/http';
import type { Page } from '../../data/types';

export function ApiKeysSection() {
  const list = useAsync((signal) => get<Page<ApiKey>>('/v1/api-keys', { limit: 500 }, signal), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<ApiKey['role']>('viewer');
  const [namespaces, setNamespaces] = useState('*');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const create = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const ns = namespaces.trim() === '*' ? '*' : namespaces.split(/[\s,]+/).filter(Boolean);
    try {
      const key = await post<CreatedApiKey>('/v1/api-keys', {
        name: name.trim(),
        role,
        namespaces: ns,
        ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}),
      });
      setCreated(key);
      setMessage(null);
      setName('');
      list.reload();
    } catch (err) {
      setMessage(`Refused: ${errorMessage(err)}`);
    }
  };
  const revoke = async (k: ApiKey): Promise<void> => {
    if (!window.confirm(`Revoke the key ${k.name} (${k.id})? It stops working at once.`)) return;
    try {
      await api('DELETE', `/v1/api-keys/${k.id}`);
      setMessage(`Revoked ${k.name}.`);
      list.reload();
    } catch (err) {
      setMessage(`Refused: ${errorMessage(err)}`);
    }
  };

  return (
    <div>
      <form className="inline-form" onSubmit={(e) => void create(e)} aria-label="Create an API key">
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} placeholder="ci-deploy" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as ApiKey['role'])}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <label>
          Namespaces (* or a list)
          <input value={namespaces} onChange={(e) => setNamespaces(e.target.value)} required placeholder="team-a, team-b" />
        </label>
        <label>
          Expires (optional)
          <input type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
        <button type="submit">Create key</button>
      </form>
      {created && (
        <div className="new-key" role="alert">
          <p>
            <strong>The key for {created.name}</strong>: copy it now, it is not shown again.
          </p>
          <p>
            <code aria-label="New API key">{created.key}</code>{' '}
            <button type="button" className="small" onClick={() => void navigator.clipboard?.writeText(created.key)}>
              Copy key
            </button>{' '}
            <button type="button" className="small" onClick={() => setCreated(null)}>
              Done
            </button>
          </p>
        </div>
      )}
      <p role="status">{message}</p>
      <PageState list={list} loading="Loading API keys" empty={<p>No API keys yet.</p>}>
        {(items) => (
          <table className="api-keys">
            <caption className="visually-hidden">API keys, newest first, revoked ones included</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Role</th>
                <th scope="col">Namespaces</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {items.map((k) => (
                <tr key={k.id} data-key={k.id}>
                  <th scope="row">{k.name}</th>
                  <td className="mono">{k.id}</td>
                  <td>{k.role}</td>
                  <td>{k.namespaces === '*' ? 'all' : k.namespaces.join(', ')}</td>
                  <td>
                    {formatTime(k.createdAt)}
                    {k.createdBy && <div className="muted small-text">by {k.createdBy}</div>}
                  </td>
                  <td>{k.expiresAt ? formatTime(k.expiresAt) : 'never'}</td>
                  <td>
                    {k.revokedAt ? (
                      <span className="tag bad">revoked {formatTime(k.revokedAt)}</span>
                    ) : (
                      <button type="button" className="danger small" onClick={() => void revoke(k)} aria-label={`Revoke ${k.name}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PageState>
    </div>
  );
}
