/** The namespace every call acts in (X-OpenClaw-Namespace): a list for keys limited to some, free text for `*`. */
import { useState, type FormEvent } from 'react';
import { setNamespace } from '../auth/session';
import { useSession } from '../auth/session-context';

const PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function NamespaceSelect() {
  const { whoami, namespace } = useSession();
  const [text, setText] = useState(namespace);
  if (whoami.namespaces !== '*') {
    const options = whoami.namespaces.includes(namespace) ? whoami.namespaces : [namespace, ...whoami.namespaces];
    return (
      <label className="namespace">
        Namespace{' '}
        <select value={namespace} onChange={(e) => setNamespace(e.target.value)}>
          {options.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
    );
  }
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (PATTERN.test(text)) setNamespace(text);
  };
  return (
    <form className="namespace" onSubmit={submit}>
      <label htmlFor="namespace-input">Namespace</label>{' '}
      <input
        id="namespace-input"
        value={text}
        size={12}
        pattern="[a-z0-9][a-z0-9\-]{0,62}"
        onChange={(e) => setText(e.target.value)}
        onBlur={() => PATTERN.test(text) && text !== namespace && setNamespace(text)}
      />
    </form>
  );
}
