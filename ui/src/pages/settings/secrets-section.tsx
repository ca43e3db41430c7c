/** Secrets of the namespace: names and times only (values are never shown); set and delete (operator). */
import { useState, type FormEvent } from 'react';
import { useSession } from '../../auth/session-context';
import { formatTime } from '../../components/format';
import { errorMessage } from '../../components/states';
import { PageState } from '../../components/list-page';
import { useAsync } from '../../components/use-async';
import type { Secret } from '../../data/client-types';
import { api, get } from '../../data/http';
import type { Page } from '../../data/types';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function SecretsSection() {
  const { can, namespace } = useSession();
  const list = useAsync((signal) => get<Page<Secret>>('/v1/secrets', { limit: 500 }, signal), []);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [message, setMessage] = useState<string | null>(null);

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!NAME.test(name)) {
      setMessage('A secret name is letters, digits and _, not starting with a digit.');
      return;
    }
    try {
      await api('PUT', `/v1/secrets/${encodeURIComponent(name)}`, { body: { value } });
      setMessage(`Stored ${name}.`);
      setName('');
      setValue('');
      list.reload();
    } catch (err) {
      setMessage(`Refused: ${errorMessage(err)}`);
    }
  };
  const remove = async (s: Secret): Promise<void> => {
    if (!window.confirm(`Delete the secret ${s.name}? Steps that use it fail until it is set again.`)) return;
    try {
      await api('DELETE', `/v1/secrets/${encodeURIComponent(s.name)}`);
      setMessage(`Deleted ${s.name}.`);
      list.reload();
    } catch (err) {
      setMessage(`Refused: ${errorMessage(err)}`);
    }
  };

  return (
    <div>
      <p className="muted">
        Secrets of the namespace <strong>{namespace}</strong>, used in specs as <code>{'${{ secrets.NAME }}'}</code>. Values are stored
        encrypted and never shown again.
      </p>
      {can('operator') && (
        <form className="inline-form" onSubmit={(e) => void save(e)} aria-label="Set a secret">
          <label>
            Name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              pattern="[A-Za-z_][A-Za-z0-9_]{0,127}"
              autoComplete="off"
            />
          </label>
          <label>
            Value
            <input type="password" value={value} onChange={(e) => setValue(e.target.value)} required autoComplete="new-password" />
          </label>
          <button type="submit">Set secret</button>
        </form>
      )}
      <p role="status">{message}</p>
      <PageState list={list} loading="Loading secrets" empty={<p>No secrets in this namespace.</p>}>
        {(items) => (
          <table className="secrets">
            <caption className="visually-hidden">Secrets, by name</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
                {can('operator') && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.name}>
                  <th scope="row" className="mono">
                    {s.name}
                  </th>
                  <td>{formatTime(s.createdAt)}</td>
                  <td>{formatTime(s.updatedAt)}</td>
                  {can('operator') && (
                    <td>
                      <button type="button" className="danger small" onClick={() => void remove(s)} aria-label={`Delete secret ${s.name}`}>
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </PageState>
    </div>
  );
}
